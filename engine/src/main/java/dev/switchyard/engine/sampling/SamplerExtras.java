package dev.switchyard.engine.sampling;

import java.util.Set;

/**
 * llama.cpp's further samplers, each off by default: locally typical sampling ({@code typical_p}),
 * top-n-sigma, XTC ("exclude top choices"), DRY ("don't repeat yourself"), Mirostat, dynamic
 * temperature, and the window the penalties look back over ({@code repeat_last_n}). See
 * {@link Sampler} for where each applies.
 *
 * @param typicalP       keep the tokens whose surprise is closest to the distribution's entropy,
 *                       as few as reach this mass; in (0, 1], 1 turns it off
 * @param topNSigma      keep the tokens whose logit is within this many standard deviations (of the
 *                       row's logits) of the best; above 0, or 0 or less for off
 * @param xtcProbability how often XTC acts, in [0, 1]; 0 turns it off
 * @param xtcThreshold   XTC removes every token at least this probable but the least probable of
 *                       them, when two or more are; in (0, 0.5]
 * @param dry            the DRY penalty, or {@link Dry#OFF}
 * @param mirostat       Mirostat, or {@link Mirostat#OFF}
 * @param dynamicTemperature the temperature made to follow the candidates' entropy, or
 *                       {@link DynamicTemperature#OFF}
 * @param penaltyLastN   how many of the last tokens (prompt and reply) the repetition, presence and
 *                       frequency penalties look at: {@link #WHOLE_TEXT} (the default) all of them, 0
 *                       turns the penalties off
 * @param temperatureFirst whether the temperature scales the logits before the filters (typical,
 *                       top-p, min-p, XTC: those it changes) rather than at the draw, after them
 *                       (llama.cpp's default order, and this sampler's); a llama.cpp request's
 *                       {@code samplers} that lists it first. Ignored under greedy decoding, Mirostat
 *                       and dynamic temperature.
 */
public record SamplerExtras(double typicalP, double topNSigma, double xtcProbability, double xtcThreshold, Dry dry,
                            Mirostat mirostat, DynamicTemperature dynamicTemperature, int penaltyLastN,
                            boolean temperatureFirst) {

    /** The temperature at the draw, after the filters: llama.cpp's default order. */
    public SamplerExtras(double typicalP, double topNSigma, double xtcProbability, double xtcThreshold, Dry dry,
                         Mirostat mirostat, DynamicTemperature dynamicTemperature, int penaltyLastN) {
        this(typicalP, topNSigma, xtcProbability, xtcThreshold, dry, mirostat, dynamicTemperature, penaltyLastN, false);
    }

    /** These settings with the temperature before the filters or at the draw. */
    public SamplerExtras withTemperatureFirst(boolean first) {
        return new SamplerExtras(typicalP, topNSigma, xtcProbability, xtcThreshold, dry, mirostat, dynamicTemperature,
                penaltyLastN, first);
    }

    /** {@link #penaltyLastN} for "every token so far" (OpenAI's and vLLM's penalties). */
    public static final int WHOLE_TEXT = -1;

    public static final SamplerExtras NONE = new SamplerExtras(1, 0, 0, 0.1, Dry.OFF);

    /** Without Mirostat and dynamic temperature, the penalties over the whole text. */
    public SamplerExtras(double typicalP, double topNSigma, double xtcProbability, double xtcThreshold, Dry dry) {
        this(typicalP, topNSigma, xtcProbability, xtcThreshold, dry, Mirostat.OFF, DynamicTemperature.OFF, WHOLE_TEXT);
    }

    /**
     * Mirostat (Basu et al., 2021), which steers each token's surprise ({@code -log2 p}) towards a
     * target instead of cutting the distribution at a fixed place: version 2 keeps the tokens whose
     * surprise is at most {@code mu}, version 1 the top k for a k estimated from the distribution's
     * Zipf exponent and {@code mu}; after each draw {@code mu -= eta * (surprise - tau)}, from
     * {@code mu = 2 tau}. When on it replaces top-k, top-p, min-p, typical, top-n-sigma, XTC and
     * dynamic temperature, as in llama.cpp.
     *
     * @param version 0 (off), 1 or 2
     * @param tau     the target surprise in bits, at least 0
     * @param eta     the learning rate, at least 0
     */
    public record Mirostat(int version, double tau, double eta) {

        public static final Mirostat OFF = new Mirostat(0, 5, 0.1);

        public Mirostat {
            require(version >= 0 && version <= 2, "mirostat must be 0 (off), 1 or 2", version);
            require(tau >= 0 && Double.isFinite(tau), "mirostat_tau must be a finite number >= 0", tau);
            require(eta >= 0 && Double.isFinite(eta), "mirostat_eta must be a finite number >= 0", eta);
        }

        public boolean on() {
            return version != 0;
        }
    }

    /**
     * Dynamic temperature (llama.cpp's "entropy sampling"): the temperature of each draw is
     * {@code max(0, T - range) + 2 range (H / ln n)^exponent} (the upper end {@code T + range}), with
     * {@code H} the entropy of the candidates left by the filters and {@code n} how many there are:
     * a confident distribution is drawn cooler, a flat one hotter.
     *
     * @param range    0 turns it off
     * @param exponent how the entropy maps to the range, at least 0
     */
    public record DynamicTemperature(double range, double exponent) {

        public static final DynamicTemperature OFF = new DynamicTemperature(0, 1);

        public DynamicTemperature {
            require(range >= 0 && Double.isFinite(range), "dynatemp_range must be a finite number >= 0", range);
            require(exponent >= 0 && Double.isFinite(exponent), "dynatemp_exponent must be a finite number >= 0",
                    exponent);
        }

        public boolean on() {
            return range > 0;
        }
    }

    /**
     * DRY: a token that would extend a repetition of what came before is penalized by
     * {@code multiplier * base^(length - allowedLength)} where {@code length}, at least
     * {@code allowedLength}, is how far the text before it repeats an earlier passage that the token
     * followed. Repetitions do not reach across a sequence breaker (a token whose text holds one of
     * the breaker strings: line ends, colons, quotes, asterisks by default).
     *
     * @param multiplier    0 turns it off
     * @param base          above 1
     * @param allowedLength repetitions shorter than this go unpenalized, at least 1
     * @param lastN         how many of the last tokens are searched; 0 or less: all of them
     * @param breakers      the ids of the breaker tokens (the server finds them from the strings)
     */
    public record Dry(double multiplier, double base, int allowedLength, int lastN, Set<Integer> breakers) {

        public static final Dry OFF = new Dry(0, 1.75, 2, 0, Set.of());

        public Dry {
            require(multiplier >= 0 && Double.isFinite(multiplier), "dry_multiplier must be a finite number >= 0", multiplier);
            require(base > 1 && Double.isFinite(base), "dry_base must be a finite number > 1", base);
            require(allowedLength >= 1, "dry_allowed_length must be at least 1", allowedLength);
            breakers = breakers == null ? Set.of() : Set.copyOf(breakers);
        }

        public boolean on() {
            return multiplier > 0;
        }
    }

    public SamplerExtras {
        require(typicalP > 0 && typicalP <= 1, "typical_p must be in (0, 1]", typicalP);
        require(Double.isFinite(topNSigma), "top_n_sigma must be a finite number", topNSigma);
        require(xtcProbability >= 0 && xtcProbability <= 1, "xtc_probability must be in [0, 1]", xtcProbability);
        require(xtcThreshold > 0 && xtcThreshold <= 0.5, "xtc_threshold must be in (0, 0.5]", xtcThreshold);
        dry = dry == null ? Dry.OFF : dry;
        mirostat = mirostat == null ? Mirostat.OFF : mirostat;
        dynamicTemperature = dynamicTemperature == null ? DynamicTemperature.OFF : dynamicTemperature;
        require(penaltyLastN >= WHOLE_TEXT, "repeat_last_n must be -1 (the whole text), 0 (penalties off) or more",
                penaltyLastN);
    }

    /**
     * Whether any of them acts on the distribution (and so the sampler needs the whole row); a
     * penalty window only narrows penalties, which need the row anyway.
     */
    public boolean any() {
        return typicalP < 1 || topNSigma > 0 || xtcProbability > 0 || dry.on() || mirostat.on()
                || dynamicTemperature.on() || temperatureFirst;
    }

    /** Whether a filter that masks tokens (typical, top-n-sigma, XTC) is on; DRY is a penalty. */
    boolean masks() {
        return typicalP < 1 || topNSigma > 0 || xtcProbability > 0;
    }

    private static void require(boolean condition, String message, Object value) {
        if (!condition) {
            throw new IllegalArgumentException(message + ", got " + value);
        }
    }
}
