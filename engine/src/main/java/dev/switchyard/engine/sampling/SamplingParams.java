package dev.switchyard.engine.sampling;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How one sequence chooses its tokens: the OpenAI / vLLM / llama.cpp sampling knobs, validated.
 *
 * <p>Every check throws {@link IllegalArgumentException} whose message starts with the field's name
 * as the HTTP API spells it ({@code top_p}, {@code logit_bias}, ...) and ends with the rejected value,
 * so the server can answer 400 with the message as it is. Checks that need the vocabulary size
 * (token ids in {@code logit_bias} and {@code stop_token_ids}) happen when a {@link Sampler} is built.
 *
 * <p>{@link Sampler} documents the order in which these are applied.
 *
 * @param temperature       divides the logits after the filters; 0 means greedy (argmax, ties to the
 *                          lowest token id), otherwise finite and positive. Default 1.
 * @param topK              keep only the {@code topK} most probable tokens; 0 (or at least the
 *                          vocabulary size) turns it off. Default 0.
 * @param topP              nucleus: keep the smallest set of most probable tokens whose probability
 *                          sums to at least {@code topP}; in (0, 1], 1 turns it off. Default 1.
 * @param minP              keep only tokens whose probability is at least {@code minP} times the most
 *                          probable token's (equivalently logit &gt;= max logit + ln minP); in [0, 1],
 *                          0 turns it off, 1 keeps only the tokens tied with the most probable. Default 0.
 * @param repetitionPenalty CTRL / llama.cpp repetition penalty on every token seen in the prompt or
 *                          the generated text: a positive logit is divided by it, any other multiplied;
 *                          finite and &gt; 0, 1 turns it off. Default 1.
 * @param presencePenalty   OpenAI presence penalty, subtracted once from the logit of every token
 *                          generated so far; in [-2, 2]. Default 0.
 * @param frequencyPenalty  OpenAI frequency penalty, subtracted once per earlier occurrence of the
 *                          token in the generated text; in [-2, 2]. Default 0.
 * @param logitBias         token id -&gt; value added to its logit, in [-100, 100] (OpenAI's range:
 *                          -100 bans a token in practice, +100 forces it). Never null (null becomes
 *                          empty); an unmodifiable copy.
 * @param seed              the seed of this sequence's random stream; null means "draw one from a
 *                          {@link java.security.SecureRandom} when the sampler is built" (the sampler
 *                          reports the seed it used).
 * @param stopTokenIds      generation stops after any of these tokens (see
 *                          {@link Sampler#isStopToken}); never null, an unmodifiable copy.
 * @param ignoreEos         keep generating after the model's end-of-generation tokens (they are not
 *                          banned, only not treated as stops; {@code stopTokenIds} still stop).
 * @param logprobs          how many most probable alternatives to report with each token, 0..20;
 *                          0 reports only the chosen token's log-probability, -1 ({@link #NO_LOGPROBS})
 *                          none at all. Default -1.
 * @param restrictions      tokens that may not be written (min_tokens, allowed_token_ids, bad_words);
 *                          never null ({@link TokenRestrictions#NONE} by default).
 * @param extras            llama.cpp's further samplers (typical, top-n-sigma, XTC, DRY, Mirostat, dynamic
 *                          temperature) and the window the three penalties look back over
 *                          ({@code repeat_last_n}: the whole text unless set); never null
 *                          ({@link SamplerExtras#NONE} by default).
 * @param postSamplingLogprobs whether the log-probabilities reported are those of the distribution
 *                          the token was drawn from (after bias, penalties, every filter and the
 *                          temperature: llama.cpp's {@code post_sampling_probs}) rather than the
 *                          model's raw ones; the alternatives are then the survivors, most probable
 *                          first. Not with Mirostat, whose draws report the raw distribution.
 */
public record SamplingParams(
        double temperature,
        int topK,
        double topP,
        double minP,
        double repetitionPenalty,
        double presencePenalty,
        double frequencyPenalty,
        Map<Integer, Double> logitBias,
        Long seed,
        Set<Integer> stopTokenIds,
        boolean ignoreEos,
        int logprobs,
        TokenRestrictions restrictions,
        SamplerExtras extras,
        boolean postSamplingLogprobs) {

    public static final int NO_LOGPROBS = -1;
    public static final int MAX_LOGPROBS = 20;
    public static final double MAX_LOGIT_BIAS = 100;
    public static final double MAX_OPENAI_PENALTY = 2;

    public SamplingParams {
        require(Double.isFinite(temperature) && temperature >= 0,
                "temperature must be a finite number >= 0 (0 means greedy)", temperature);
        require(topK >= 0, "top_k must be >= 0 (0 turns it off)", topK);
        require(topP > 0 && topP <= 1, "top_p must be in (0, 1]", topP);
        require(minP >= 0 && minP <= 1, "min_p must be in [0, 1]", minP);
        require(Double.isFinite(repetitionPenalty) && repetitionPenalty > 0,
                "repetition_penalty must be a finite number > 0 (1 turns it off)", repetitionPenalty);
        require(presencePenalty >= -MAX_OPENAI_PENALTY && presencePenalty <= MAX_OPENAI_PENALTY,
                "presence_penalty must be in [-2, 2]", presencePenalty);
        require(frequencyPenalty >= -MAX_OPENAI_PENALTY && frequencyPenalty <= MAX_OPENAI_PENALTY,
                "frequency_penalty must be in [-2, 2]", frequencyPenalty);
        require(logprobs >= NO_LOGPROBS && logprobs <= MAX_LOGPROBS,
                "logprobs must be in 0..20, or -1 for none", logprobs);
        logitBias = copyLogitBias(logitBias);
        stopTokenIds = copyStopTokenIds(stopTokenIds);
        restrictions = restrictions == null ? TokenRestrictions.NONE : restrictions;
        extras = extras == null ? SamplerExtras.NONE : extras;
    }

    /** Without token restrictions. */
    public SamplingParams(double temperature, int topK, double topP, double minP, double repetitionPenalty,
                          double presencePenalty, double frequencyPenalty, Map<Integer, Double> logitBias, Long seed,
                          Set<Integer> stopTokenIds, boolean ignoreEos, int logprobs) {
        this(temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, logitBias, seed,
                stopTokenIds, ignoreEos, logprobs, TokenRestrictions.NONE, SamplerExtras.NONE, false);
    }

    /** The defaults: temperature 1, no filters, no penalties, a random seed, no logprobs. */
    public static SamplingParams defaults() {
        return builder().build();
    }

    /** Greedy decoding: argmax after logit bias and penalties (none by default), ties to the lowest id. */
    public static SamplingParams greedy() {
        return builder().temperature(0).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    public boolean wantsLogprobs() {
        return logprobs != NO_LOGPROBS;
    }

    /** Whether any penalty needs the history of seen tokens (none does over a window of 0). */
    public boolean hasPenalties() {
        return (repetitionPenalty != 1 || presencePenalty != 0 || frequencyPenalty != 0) && extras.penaltyLastN() != 0;
    }

    private static Map<Integer, Double> copyLogitBias(Map<Integer, Double> bias) {
        if (bias == null || bias.isEmpty()) {
            return Map.of();
        }
        Map<Integer, Double> copy = new HashMap<>(bias.size() * 2);
        for (Map.Entry<Integer, Double> e : bias.entrySet()) {
            Integer token = e.getKey();
            Double value = e.getValue();
            if (token == null) {
                throw new IllegalArgumentException("logit_bias has a null token id");
            }
            require(token >= 0, "logit_bias token ids must be >= 0", token);
            if (value == null || !(value >= -MAX_LOGIT_BIAS && value <= MAX_LOGIT_BIAS)) {
                throw new IllegalArgumentException(
                        "logit_bias for token " + token + " must be in [-100, 100], got " + value);
            }
            copy.put(token, value);
        }
        return Map.copyOf(copy);
    }

    private static Set<Integer> copyStopTokenIds(Set<Integer> ids) {
        if (ids == null || ids.isEmpty()) {
            return Set.of();
        }
        Set<Integer> copy = new HashSet<>(ids.size() * 2);
        for (Integer id : ids) {
            if (id == null) {
                throw new IllegalArgumentException("stop_token_ids has a null token id");
            }
            require(id >= 0, "stop_token_ids must be >= 0", id);
            copy.add(id);
        }
        return Set.copyOf(copy);
    }

    private static void require(boolean condition, String message, Object value) {
        if (!condition) {
            throw new IllegalArgumentException(message + ", got " + value);
        }
    }

    /** Mutable builder starting from the defaults; {@link #build()} validates. */
    public static final class Builder {
        private double temperature = 1;
        private int topK = 0;
        private double topP = 1;
        private double minP = 0;
        private double repetitionPenalty = 1;
        private double presencePenalty = 0;
        private double frequencyPenalty = 0;
        private Map<Integer, Double> logitBias = Map.of();
        private Long seed;
        private Set<Integer> stopTokenIds = Set.of();
        private boolean ignoreEos;
        private int logprobs = NO_LOGPROBS;
        private TokenRestrictions restrictions = TokenRestrictions.NONE;
        private SamplerExtras extras = SamplerExtras.NONE;
        private boolean postSamplingLogprobs;

        private Builder() {
        }

        private Builder(SamplingParams p) {
            temperature = p.temperature;
            topK = p.topK;
            topP = p.topP;
            minP = p.minP;
            repetitionPenalty = p.repetitionPenalty;
            presencePenalty = p.presencePenalty;
            frequencyPenalty = p.frequencyPenalty;
            logitBias = p.logitBias;
            seed = p.seed;
            stopTokenIds = p.stopTokenIds;
            ignoreEos = p.ignoreEos;
            logprobs = p.logprobs;
            restrictions = p.restrictions;
            extras = p.extras;
            postSamplingLogprobs = p.postSamplingLogprobs;
        }

        public Builder temperature(double v) {
            temperature = v;
            return this;
        }

        public Builder topK(int v) {
            topK = v;
            return this;
        }

        public Builder topP(double v) {
            topP = v;
            return this;
        }

        public Builder minP(double v) {
            minP = v;
            return this;
        }

        public Builder repetitionPenalty(double v) {
            repetitionPenalty = v;
            return this;
        }

        public Builder presencePenalty(double v) {
            presencePenalty = v;
            return this;
        }

        public Builder frequencyPenalty(double v) {
            frequencyPenalty = v;
            return this;
        }

        public Builder logitBias(Map<Integer, Double> v) {
            logitBias = v;
            return this;
        }

        /** A fixed seed; {@code null} asks for a random one. */
        public Builder seed(Long v) {
            seed = v;
            return this;
        }

        public Builder stopTokenIds(Set<Integer> v) {
            stopTokenIds = v;
            return this;
        }

        public Builder stopTokenIds(int... ids) {
            Set<Integer> s = new HashSet<>();
            for (int id : Objects.requireNonNull(ids, "ids")) {
                s.add(id);
            }
            stopTokenIds = s;
            return this;
        }

        public Builder ignoreEos(boolean v) {
            ignoreEos = v;
            return this;
        }

        public Builder logprobs(int v) {
            logprobs = v;
            return this;
        }

        /** Log-probabilities of the distribution drawn from, after every filter and the temperature (llama.cpp's post_sampling_probs). */
        public Builder postSamplingLogprobs(boolean v) {
            postSamplingLogprobs = v;
            return this;
        }

        public Builder restrictions(TokenRestrictions v) {
            restrictions = v;
            return this;
        }

        public Builder extras(SamplerExtras v) {
            extras = v;
            return this;
        }

        public SamplingParams build() {
            return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, presencePenalty,
                    frequencyPenalty, logitBias, seed, stopTokenIds, ignoreEos, logprobs, restrictions, extras,
                    postSamplingLogprobs);
        }
    }
}
