package dev.switchyard.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.lora.LoraMix;
import dev.switchyard.engine.sampling.SamplerExtras;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.engine.sampling.TokenRestrictions;
import dev.switchyard.server.serving.GenerationSpec;
import dev.switchyard.server.serving.InvalidRequestException;
import dev.switchyard.server.serving.LlamaSamplers;
import dev.switchyard.server.serving.RequestRestrictions;
import dev.switchyard.server.serving.ServedModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The fields that completions and chat completions share. */
final class CommonFields {

    /** Fields of structured output and tool use, which this server cannot honour yet. */
    private static final List<String> UNSUPPORTED = List.of("functions", "function_call",
            "guided_decoding_backend", "audio", "web_search_options");

    private CommonFields() {
    }

    /** A {@code model} other than the served model's name or one of its LoRA adapters' is a 404. */
    static void checkModel(Fields f, ServedModel model) {
        String name = f.string("model");
        if (name != null && !name.equals(model.name()) && model.adapters().named(name).isEmpty()) {
            throw ApiError.modelNotFound(name, model.name());
        }
    }

    /**
     * The LoRA adapters a request applies: its {@code lora} list where it has one (llama.cpp's
     * {@code [{"id": 0, "scale": 0.5}]}; adapters left out are not applied), else the adapter its
     * {@code model} names alone at scale 1 (as vLLM serves adapters), else the server's default scales.
     */
    /** {@code spec} applying the request's adapters ({@link #adapters}), replies naming the adapter its {@code model} named. */
    static GenerationSpec withAdapters(GenerationSpec spec, Fields f, ServedModel model) {
        LoraMix mix = adapters(f, model);
        String named = f.string("model");
        return spec.withAdapters(mix, named != null && model.adapters().named(named).isPresent() ? named : null);
    }

    static LoraMix adapters(Fields f, ServedModel model) {
        JsonNode lora = f.node("lora");
        List<Map.Entry<Integer, Float>> entries = null;
        if (lora != null && !lora.isNull()) {
            if (!lora.isArray()) {
                throw ApiError.invalid("lora", "lora must be a list of {\"id\": N, \"scale\": S} objects");
            }
            entries = new ArrayList<>();
            for (int i = 0; i < lora.size(); i++) {
                JsonNode e = lora.get(i);
                JsonNode id = e.get("id");
                JsonNode scale = e.get("scale");
                if (!e.isObject() || id == null || !id.isIntegralNumber() || !id.canConvertToInt()
                        || (scale != null && !scale.isNumber())) {
                    throw ApiError.invalid("lora", "lora[" + i + "] must be {\"id\": N, \"scale\": S} with a whole "
                            + "number id and a number scale");
                }
                entries.add(Map.entry(id.intValue(), scale == null ? 0f : scale.floatValue()));
            }
        }
        try {
            return model.adapters().forRequest(f.string("model"), entries, "lora");
        } catch (InvalidRequestException e) {
            throw ApiError.of(e);
        }
    }

    /**
     * {@code cache_salt} (vLLM's field): requests share cached prompt blocks only with requests of the
     * same salt, so a tenant with a salt of its own cannot time another's prompts; null when absent.
     */
    static String cacheSalt(Fields f) {
        String salt = f.string("cache_salt");
        if (salt != null && (salt.isEmpty() || salt.length() > GenerationSpec.MAX_CACHE_SALT)) {
            throw ApiError.invalid("cache_salt", "cache_salt must be a string of 1 to " + GenerationSpec.MAX_CACHE_SALT
                    + " characters");
        }
        return salt;
    }

    /** A 400 for every field we understand but cannot honour: never silently dropped. */
    static void refuseUnsupported(Fields f) {
        for (String name : UNSUPPORTED) {
            if (f.has(name)) {
                throw ApiError.unsupported(name, name);
            }
        }
        JsonNode modalities = f.node("modalities");
        if (modalities != null && !(modalities.isArray() && modalities.size() == 1 && "text".equals(modalities.get(0).asText()))) {
            throw ApiError.unsupported("modalities", "output other than text (modalities)");
        }
        if (f.has("best_of")) {
            Integer bestOf = f.integer("best_of");
            Integer n = f.integer("n");
            if (bestOf != (n == null ? 1 : n)) {
                throw ApiError.unsupported("best_of", "best_of other than n");
            }
        }
        f.string("user"); // accepted and unused, but it must be a string
    }

    static int n(Fields f, ApiLimits limits) {
        Integer n = f.integer("n");
        if (n == null) {
            return 1;
        }
        if (n < 1 || n > limits.maxN()) {
            throw ApiError.invalid("n", "n must be in 1.." + limits.maxN() + ", got " + n);
        }
        return n;
    }

    /** {@code max_tokens} (or the chat field that replaces it), null when absent. */
    static Integer maxTokens(Fields f, String name) {
        Integer v = f.integer(name);
        if (v != null && v < 0) {
            throw ApiError.invalid(name, name + " must be 0 or more, got " + v);
        }
        return v;
    }

    static List<String> stop(Fields f, ApiLimits limits) {
        return stop(f, limits, "stop");
    }

    /** The stop strings in field {@code name}: a string or a list of them. */
    static List<String> stop(Fields f, ApiLimits limits, String name) {
        JsonNode stop = f.node(name);
        if (stop == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (stop.isTextual()) {
            out.add(stop.textValue());
        } else if (stop.isArray()) {
            if (stop.size() > limits.maxStop()) {
                throw ApiError.invalid(name, name + " may hold at most " + limits.maxStop() + " strings, got " + stop.size());
            }
            for (int i = 0; i < stop.size(); i++) {
                if (!stop.get(i).isTextual()) {
                    throw ApiError.invalid(name + "[" + i + "]", name + "[" + i + "] must be a string");
                }
                out.add(stop.get(i).textValue());
            }
        } else {
            throw ApiError.invalid(name, name + " must be a string or a list of strings");
        }
        for (String s : out) {
            if (s.isEmpty() || s.length() > limits.maxStopLength()) {
                throw ApiError.invalid(name, "each string of " + name + " must have 1.." + limits.maxStopLength()
                        + " characters, got " + s.length());
            }
        }
        return out;
    }

    /** Whether to stream, and whether to end the stream with a usage chunk. */
    static boolean[] streaming(Fields f) {
        boolean stream = f.bool("stream", false);
        JsonNode options = f.node("stream_options");
        boolean includeUsage = false;
        if (options != null) {
            if (!stream) {
                throw ApiError.invalid("stream_options", "stream_options is only allowed when stream is true");
            }
            if (!options.isObject()) {
                throw ApiError.invalid("stream_options", "stream_options must be an object");
            }
            includeUsage = new Fields(options, "stream_options.").bool("include_usage", false);
        }
        return new boolean[] {stream, includeUsage};
    }

    /**
     * vLLM's {@code prompt_logprobs}: alternatives to report with each prompt token's own
     * log-probability, or -1 when absent. As in vLLM, not with {@code stream}; and at most
     * {@value SamplingParams#MAX_LOGPROBS} (vLLM's -1, the whole vocabulary, is refused).
     */
    static int promptLogprobs(Fields f, boolean stream) {
        Integer n = f.integer("prompt_logprobs");
        if (n == null) {
            return GenerationRequest.NO_PROMPT_LOGPROBS;
        }
        if (n < 0 || n > SamplingParams.MAX_LOGPROBS) {
            throw ApiError.invalid("prompt_logprobs", "prompt_logprobs must be in 0.." + SamplingParams.MAX_LOGPROBS
                    + ", got " + n);
        }
        if (stream) {
            throw ApiError.invalid("prompt_logprobs", "prompt_logprobs is not available with stream: true");
        }
        return n;
    }

    /**
     * vLLM's token restrictions: {@code min_tokens} (at most {@code maxTokens} where that is set),
     * {@code allowed_token_ids} and {@code bad_words}. A bad word is banned as the model would write it
     * alone and after a space (as vLLM tokenizes it), so it is held back at a text's start and
     * between words alike.
     */
    static TokenRestrictions restrictions(Fields f, ServedModel model, Integer maxTokens, String maxParam) {
        List<Integer> allowed = new ArrayList<>();
        JsonNode ids = f.node("allowed_token_ids");
        if (ids != null) {
            if (!ids.isArray() || ids.isEmpty()) {
                throw ApiError.invalid("allowed_token_ids", "allowed_token_ids must be a non-empty list of token ids");
            }
            for (int i = 0; i < ids.size(); i++) {
                allowed.add(Fields.intElement(ids.get(i), "allowed_token_ids[" + i + "]"));
            }
        }
        List<String> words = new ArrayList<>();
        JsonNode list = f.node("bad_words");
        if (list != null) {
            if (!list.isArray()) {
                throw ApiError.invalid("bad_words", "bad_words must be a list of strings");
            }
            for (int i = 0; i < list.size(); i++) {
                if (!list.get(i).isTextual()) {
                    throw ApiError.invalid("bad_words[" + i + "]", "bad_words[" + i + "] must be a non-blank string");
                }
                words.add(list.get(i).textValue());
            }
        }
        try {
            return RequestRestrictions.of(f.integer("min_tokens"), allowed, words, maxTokens, maxParam, model, "");
        } catch (InvalidRequestException e) {
            throw ApiError.of(e);
        }
    }

    /**
     * vLLM's {@code truncate_prompt_tokens}: keep only a prompt's last that many tokens; -1 keeps as
     * many as the model's context allows, as in vLLM; null when absent (nothing is cut).
     */
    static Integer truncation(Fields f, ServedModel model) {
        Integer keep = f.integer("truncate_prompt_tokens");
        if (keep == null) {
            return null;
        }
        if (keep == -1) {
            return model.maxSequenceLength();
        }
        if (keep < 1) {
            throw ApiError.invalid("truncate_prompt_tokens", "truncate_prompt_tokens must be at least 1 (or -1 for "
                    + "the model's limit), got " + keep);
        }
        return keep;
    }

    /** The last {@code keep} tokens of {@code prompt} (all of them when {@code keep} is null or larger). */
    static int[] truncate(int[] prompt, Integer keep) {
        return keep == null || prompt.length <= keep ? prompt
                : java.util.Arrays.copyOfRange(prompt, prompt.length - keep, prompt.length);
    }

    /**
     * llama.cpp's further samplers, with its field names and defaults ({@link LlamaSamplers}):
     * {@code typical_p}, {@code top_n_sigma}, {@code xtc_probability}, {@code xtc_threshold},
     * {@code dry_multiplier}, {@code dry_base}, {@code dry_allowed_length}, {@code dry_penalty_last_n},
     * {@code dry_sequence_breakers} (a list of strings), {@code mirostat}, {@code mirostat_tau},
     * {@code mirostat_eta}, {@code dynatemp_range}, {@code dynatemp_exponent} and {@code repeat_last_n}.
     */
    static SamplerExtras extras(Fields f, ServedModel model) {
        List<String> breakers = null;
        JsonNode list = f.node("dry_sequence_breakers");
        if (list != null) {
            if (!list.isArray()) {
                throw ApiError.invalid("dry_sequence_breakers", "dry_sequence_breakers must be a list of strings");
            }
            breakers = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                if (!list.get(i).isTextual()) {
                    throw ApiError.invalid("dry_sequence_breakers[" + i + "]", "a sequence breaker must be a string");
                }
                breakers.add(list.get(i).textValue());
            }
        }
        try {
            return LlamaSamplers.extras(new LlamaSamplers.Settings(f.number("typical_p"), f.number("top_n_sigma"),
                    f.number("xtc_probability"), f.number("xtc_threshold"), f.number("dry_multiplier"),
                    f.number("dry_base"), f.integer("dry_allowed_length"), f.integer("dry_penalty_last_n"), breakers,
                    f.integer("mirostat"), f.number("mirostat_tau"), f.number("mirostat_eta"),
                    f.number("dynatemp_range"), f.number("dynatemp_exponent"), f.integer("repeat_last_n")),
                    model::tokensContaining, "");
        } catch (InvalidRequestException e) {
            throw ApiError.of(e);
        }
    }

    /**
     * OpenAI's {@code prediction} (Predicted Outputs): {@code {"type": "content", "content": TEXT}}, the
     * content a string or a list of {@code {"type": "text", "text": ...}} parts, tokenized as plain
     * text; null when absent. The reply is proposed from it, so it is answered sooner where the
     * prediction holds and the same either way.
     */
    static int[] prediction(Fields f, ServedModel model) {
        JsonNode node = f.node("prediction");
        if (node == null) {
            return null;
        }
        if (!node.isObject()) {
            throw ApiError.invalid("prediction", "prediction must be an object {\"type\": \"content\", \"content\": ...}");
        }
        Fields p = new Fields(node, "prediction.");
        if (!"content".equals(p.string("type"))) {
            throw ApiError.invalid("prediction.type", "prediction.type must be \"content\"");
        }
        JsonNode content = p.node("content");
        StringBuilder text = new StringBuilder();
        if (content != null && content.isTextual()) {
            text.append(content.textValue());
        } else if (content != null && content.isArray()) {
            for (int i = 0; i < content.size(); i++) {
                JsonNode part = content.get(i);
                String where = "prediction.content[" + i + "]";
                if (!part.isObject() || !"text".equals(part.path("type").asText(null)) || !part.path("text").isTextual()) {
                    throw ApiError.invalid(where, where + " must be a text part {\"type\": \"text\", \"text\": ...}");
                }
                text.append(part.get("text").textValue());
            }
        } else {
            throw ApiError.invalid("prediction.content", "prediction.content must be a string or a list of text parts");
        }
        return model.tokenizer().encode(text.toString(), false, false);
    }

    /** vLLM's {@code priority}: lower is served first; 0 (the default) unless the server schedules by priority. */
    static int priority(Fields f, ServedModel model) {
        Integer priority = f.integer("priority");
        try {
            return priority == null ? 0 : model.priority(priority, "priority");
        } catch (InvalidRequestException e) {
            throw ApiError.of(e);
        }
    }

    /**
     * Whether control tokens' text goes into the output: vLLM's {@code skip_special_tokens} false
     * (true, leaving it out, is the default).
     */
    static boolean rendersSpecialTokens(Fields f) {
        return !f.bool("skip_special_tokens", true);
    }

    /** The sampling fields, validated; ids checked against the vocabulary of {@code vocab} tokens. */
    static SamplingParams.Builder sampling(Fields f, int vocab) {
        SamplingParams.Builder b = SamplingParams.builder();
        Double v;
        if ((v = f.number("temperature")) != null) {
            b.temperature(v);
        }
        if ((v = f.number("top_p")) != null) {
            b.topP(v);
        }
        Integer topK = f.integer("top_k");
        if (topK != null) {
            b.topK(topK == -1 ? 0 : topK); // vLLM spells "off" as -1
        }
        if ((v = f.number("min_p")) != null) {
            b.minP(v);
        }
        if ((v = f.number("presence_penalty")) != null) {
            b.presencePenalty(v);
        }
        if ((v = f.number("frequency_penalty")) != null) {
            b.frequencyPenalty(v);
        }
        if ((v = f.number("repetition_penalty")) != null) {
            b.repetitionPenalty(v);
        }
        // llama.cpp's name for it
        Double repeat = f.number("repeat_penalty");
        if (repeat != null) {
            if (v != null && !v.equals(repeat)) {
                throw ApiError.invalid("repeat_penalty", "repeat_penalty is llama.cpp's name for repetition_penalty: "
                        + "send one of them, got " + v + " and " + repeat);
            }
            b.repetitionPenalty(repeat);
        }
        b.seed(f.longInteger("seed"));
        b.ignoreEos(f.bool("ignore_eos", false));
        b.logitBias(logitBias(f, vocab));
        b.stopTokenIds(stopTokenIds(f, vocab));
        return b;
    }

    /** Builds the parameters; the engine's checks name the field first in their messages. */
    static SamplingParams build(SamplingParams.Builder b) {
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid(InvalidRequestException.engineField(e), e.getMessage());
        }
    }

    private static Map<Integer, Double> logitBias(Fields f, int vocab) {
        JsonNode bias = f.node("logit_bias");
        if (bias == null) {
            return Map.of();
        }
        if (!bias.isObject()) {
            throw ApiError.invalid("logit_bias", "logit_bias must be an object of token id -> bias");
        }
        Map<Integer, Double> out = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = bias.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw ApiError.invalid("logit_bias", "logit_bias keys must be token ids, got '" + e.getKey() + "'");
            }
            if (id < 0 || id >= vocab) {
                throw ApiError.invalid("logit_bias", "logit_bias token id " + id + " is outside the vocabulary (0.."
                        + (vocab - 1) + ")");
            }
            if (!e.getValue().isNumber()) {
                throw ApiError.invalid("logit_bias", "logit_bias values must be numbers, got " + e.getValue());
            }
            out.put(id, e.getValue().doubleValue());
        }
        return out;
    }

    private static Set<Integer> stopTokenIds(Fields f, int vocab) {
        JsonNode ids = f.node("stop_token_ids");
        if (ids == null) {
            return Set.of();
        }
        if (!ids.isArray()) {
            throw ApiError.invalid("stop_token_ids", "stop_token_ids must be a list of token ids");
        }
        Set<Integer> out = new HashSet<>();
        for (int i = 0; i < ids.size(); i++) {
            int id = Fields.intElement(ids.get(i), "stop_token_ids[" + i + "]");
            if (id < 0 || id >= vocab) {
                throw ApiError.invalid("stop_token_ids[" + i + "]", "token id " + id + " is outside the vocabulary (0.."
                        + (vocab - 1) + ")");
            }
            out.add(id);
        }
        return out;
    }
}
