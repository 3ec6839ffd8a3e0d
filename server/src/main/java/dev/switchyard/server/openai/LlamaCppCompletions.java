package dev.switchyard.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.sampling.SamplerExtras;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.server.serving.CodeCompletionLimits;
import dev.switchyard.server.serving.GenerationSpec;
import dev.switchyard.server.serving.InvalidRequestException;
import dev.switchyard.server.serving.Prompts;
import dev.switchyard.server.serving.ServedModel;
import java.util.List;
import java.util.Map;

/**
 * llama.cpp's own completion API ({@code POST /completion}, as llama-server serves it), for the
 * clients written against it: {@code prompt} (a text or token ids), {@code n_predict} (-1, the
 * default, for as many as the context leaves), {@code stream}, {@code stop}, {@code n_probs},
 * {@code return_tokens}, {@code grammar} and {@code json_schema}, {@code logit_bias} in either of
 * its shapes, and every sampler field llama.cpp names, with llama-server's defaults where a field is
 * absent (temperature 0.8, top_k 40, top_p 0.95, min_p 0.05, the penalties over the last 64
 * tokens). Slot and cache hints ({@code id_slot}, {@code cache_prompt}, {@code n_keep}) are accepted
 * and have nothing to do: every request here gets the prefix cache. {@code samplers} chooses the
 * samplers that run and whether the temperature comes first ({@link LlamaSamplerChain}).
 */
public final class LlamaCppCompletions {

    /** llama-server's defaults for what a request leaves out. */
    private static final Map<String, Object> DEFAULTS = Map.of("temperature", 0.8, "top_k", 40, "top_p", 0.95,
            "min_p", 0.05, "repeat_last_n", 64);
    /** llama.cpp's "no seed": draw one. */
    private static final long RANDOM_SEED = 0xFFFFFFFFL;

    private LlamaCppCompletions() {
    }

    /** How a request names its prompts, given the reply's limit (null: as many as the context leaves). */
    @FunctionalInterface
    interface PromptSource {
        ReadPrompts read(Fields f, ServedModel model, Integer maxTokens);
    }

    /** A request's prompts as token ids, and whether one was cut to fit the context. */
    record ReadPrompts(List<int[]> prompts, boolean truncated) {
    }

    /** The renderer of a valid {@code /completion} request; an {@link ApiError} naming the field otherwise. */
    public static ResponseRenderer renderer(JsonNode body, ServedModel model, ApiLimits limits, ObjectMapper mapper) {
        return new LlamaCppRenderer(model, parse(body, model, limits, mapper, (f, m, limit) -> new ReadPrompts(prompts(f.node("prompt"), m, limits), false)));
    }

    /**
     * The renderer of a valid {@code /infill} request (code completion): {@code input_prefix},
     * {@code input_suffix}, {@code input_extra} (the project's other files, {@code [{"filename",
     * "text"}]}) and {@code prompt} (the cursor's line before it), laid out by
     * {@link dev.switchyard.server.serving.Prompts#infill}; the other fields as {@code /completion}'s.
     */
    public static ResponseRenderer infillRenderer(JsonNode body, ServedModel model, ApiLimits limits,
                                                  ObjectMapper mapper) {
        return new LlamaCppRenderer(model, parse(body, model, limits, mapper, LlamaCppCompletions::infillPrompt));
    }

    static LlamaCppRequest parse(JsonNode body, ServedModel model, ApiLimits limits, ObjectMapper mapper,
                                 PromptSource source) {
        ObjectNode fields = body.deepCopy();
        DEFAULTS.forEach((name, value) -> {
            if (!fields.hasNonNull(name)) {
                fields.set(name, mapper.valueToTree(value));
            }
        });
        JsonNode seed = fields.get("seed");
        if (seed != null && seed.isIntegralNumber() && (seed.asLong() == -1 || seed.asLong() == RANDOM_SEED)) {
            fields.remove("seed");
        }
        LlamaSamplerChain chain = LlamaSamplerChain.read(fields.get("samplers"));
        if (chain != null) {
            chain.applyTo(fields);
        }
        JsonNode bias = fields.get("logit_bias");
        if (bias != null && bias.isArray()) {
            fields.set("logit_bias", biasObject(bias, mapper));
        }
        Fields f = new Fields(fields);
        // no model check: llama-server serves one model here and reads no name
        CommonFields.refuseUnsupported(f);
        if (f.has("n_predict") && f.has("max_tokens")) {
            throw ApiError.invalid("n_predict", "n_predict and max_tokens name the same limit: send one of them");
        }
        String limitParam = f.has("max_tokens") ? "max_tokens" : "n_predict";
        Integer predict = f.integer(limitParam);
        if (predict != null && predict != -1 && predict < 1) {
            throw ApiError.invalid(limitParam, limitParam + " must be -1 (as many as the context leaves) or at least 1, "
                    + "got " + predict);
        }
        Integer maxTokens = predict == null || predict == -1 ? null : predict;
        Integer probs = f.integer("n_probs");
        if (probs != null && (probs < 0 || probs > SamplingParams.MAX_LOGPROBS)) {
            throw ApiError.invalid("n_probs", "n_probs must be in 0.." + SamplingParams.MAX_LOGPROBS + ", got " + probs);
        }
        int nProbs = probs == null ? 0 : probs;
        boolean returnTokens = f.bool("return_tokens", false);
        boolean stream = f.bool("stream", false);
        List<String> stop = CommonFields.stop(f, limits);
        SamplingParams.Builder sampling = CommonFields.sampling(f, model.tokenizer().vocabSize());
        // the chosen token's id comes with its log-probability: asked for whenever tokens are returned
        int logprobs = nProbs > 0 ? nProbs : returnTokens ? 0 : SamplingParams.NO_LOGPROBS;
        sampling.logprobs(logprobs);
        boolean postSampling = f.bool("post_sampling_probs", false);
        sampling.postSamplingLogprobs(postSampling);
        SamplerExtras extras = CommonFields.extras(f, model);
        if (postSampling && extras.mirostat().on()) {
            throw ApiError.unsupported("post_sampling_probs", "post_sampling_probs with mirostat (its draws report the "
                    + "model's probabilities)");
        }
        sampling.extras(chain != null && chain.temperatureFirst() ? extras.withTemperatureFirst(true) : extras);
        ReadPrompts read = source.read(f, model, maxTokens);
        GenerationSpec spec = CommonFields.withAdapters(
                new GenerationSpec(read.prompts(), null, 1, CommonFields.build(sampling), maxTokens, stop,
                "prompt", limitParam, false, null, null, StructuredOutputs.parse(f, model), null,
                GenerationRequest.NO_PROMPT_LOGPROBS, false, CommonFields.priority(f, model))
                .withCodeLimits(codeLimits(f)), f, model);
        return new LlamaCppRequest(new OpenAiRequest(spec, stream, false, logprobs), nProbs, returnTokens,
                read.prompts().stream().map(p -> model.tokenizer().decode(p)).toList(), predict == null ? -1 : predict,
                read.truncated());
    }

    /** {@code n_indent} and {@code t_max_predict_ms} (0, the default, for none), as editor plugins send them. */
    private static CodeCompletionLimits codeLimits(Fields f) {
        Integer indent = f.integer("n_indent");
        if (indent != null && indent < 0) {
            throw ApiError.invalid("n_indent", "n_indent must be 0 (no limit) or more, got " + indent);
        }
        Integer millis = f.integer("t_max_predict_ms");
        if (millis != null && millis < 0) {
            throw ApiError.invalid("t_max_predict_ms", "t_max_predict_ms must be 0 (no limit) or more, got " + millis);
        }
        return new CodeCompletionLimits(indent == null ? 0 : indent, millis == null ? 0 : millis);
    }

    /**
     * An {@code /infill} prompt within what the context leaves the reply: {@code n_predict} tokens,
     * or a quarter of the context where it asks for as many as are left.
     */
    private static ReadPrompts infillPrompt(Fields f, ServedModel model, Integer maxTokens) {
        List<Prompts.ProjectFile> files = new java.util.ArrayList<>();
        JsonNode extra = f.node("input_extra");
        if (extra != null) {
            if (!extra.isArray()) {
                throw ApiError.invalid("input_extra", "input_extra must be a list of {\"filename\", \"text\"} objects");
            }
            for (int i = 0; i < extra.size(); i++) {
                String param = "input_extra[" + i + "]";
                JsonNode file = extra.get(i);
                if (!file.isObject() || !file.path("text").isTextual()
                        || (file.has("filename") && !file.get("filename").isTextual())) {
                    throw ApiError.invalid(param, param + " must be an object with a text (and a filename)");
                }
                files.add(new Prompts.ProjectFile(file.path("filename").asText(""), file.get("text").textValue()));
            }
        }
        String prefix = f.string("input_prefix");
        String suffix = f.string("input_suffix");
        String typed = f.string("prompt");
        try {
            int context = model.maxSequenceLength();
            int budget = context - (maxTokens == null ? context / 4 : maxTokens);
            Prompts.Infill laid = model.prompts().infill(files, prefix == null ? "" : prefix, suffix == null ? "" : suffix,
                    typed == null ? "" : typed, budget, "input_prefix");
            return new ReadPrompts(List.of(laid.ids()), laid.trimmed());
        } catch (InvalidRequestException e) {
            throw ApiError.of(e);
        }
    }

    /**
     * llama-server's prompt shapes: a text (tokenized as the model wants, BOS first where it has
     * one); a list of token ids, or of ids and texts mixed, which is one prompt (the texts tokenized
     * in place, BOS only before a leading text); or a list of those, which is several prompts, each
     * answered apart.
     */
    private static List<int[]> prompts(JsonNode prompt, ServedModel model, ApiLimits limits) {
        if (prompt == null) {
            throw ApiError.invalid("prompt", "prompt is required");
        }
        try {
            if (prompt.isTextual()) {
                return List.of(model.prompts().text(prompt.textValue(), "prompt"));
            }
            if (!prompt.isArray() || prompt.isEmpty()) {
                throw ApiError.invalid("prompt", "prompt must be a string, a list of token ids (and texts), or a list of "
                        + "those");
            }
            if (isMixed(prompt)) {
                return List.of(mixed(prompt, model, "prompt"));
            }
            if (prompt.size() > limits.maxPrompts()) {
                throw ApiError.invalid("prompt", "at most " + limits.maxPrompts() + " prompts per request, got "
                        + prompt.size());
            }
            List<int[]> prompts = new java.util.ArrayList<>();
            for (int i = 0; i < prompt.size(); i++) {
                JsonNode p = prompt.get(i);
                String param = "prompt[" + i + "]";
                if (p.isTextual()) {
                    prompts.add(model.prompts().text(p.textValue(), param));
                } else if (p.isArray() && !p.isEmpty() && isMixed(p)) {
                    prompts.add(mixed(p, model, param));
                } else {
                    throw ApiError.invalid(param, "each prompt must be a string or a list of token ids (and texts)");
                }
            }
            return prompts;
        } catch (InvalidRequestException e) {
            throw ApiError.of(e);
        }
    }

    /** Whether a list is one prompt: token ids, texts among them or not (a list of texts alone is several). */
    private static boolean isMixed(JsonNode list) {
        boolean ids = false;
        for (JsonNode part : list) {
            if (part.isNumber()) {
                ids = true;
            } else if (!part.isTextual()) {
                return false;
            }
        }
        return ids;
    }

    /** Ids as they are, texts tokenized in place, BOS before a leading text where the model wants it. */
    private static int[] mixed(JsonNode list, ServedModel model, String param) {
        java.util.List<Integer> ids = new java.util.ArrayList<>();
        int vocab = model.tokenizer().vocabSize();
        for (int i = 0; i < list.size(); i++) {
            JsonNode part = list.get(i);
            if (part.isTextual()) {
                for (int id : model.tokenizer().encode(part.textValue(), i == 0 && model.tokenizer().addBosByDefault(),
                        false)) {
                    ids.add(id);
                }
            } else {
                if (!part.isIntegralNumber() || part.asLong() < 0 || part.asLong() >= vocab) {
                    throw ApiError.invalid(param + "[" + i + "]", "token id " + part + " is outside the vocabulary (0.."
                            + (vocab - 1) + ")");
                }
                ids.add(part.asInt());
            }
        }
        if (ids.isEmpty()) {
            throw ApiError.invalid(param, "the prompt is empty: it needs at least one token");
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * llama.cpp's list shape of {@code logit_bias}, {@code [[id, bias], ...]} with {@code false} for
     * "never", as the object shape the other APIs take.
     */
    private static ObjectNode biasObject(JsonNode pairs, ObjectMapper mapper) {
        ObjectNode bias = mapper.createObjectNode();
        for (int i = 0; i < pairs.size(); i++) {
            JsonNode pair = pairs.get(i);
            String param = "logit_bias[" + i + "]";
            if (!pair.isArray() || pair.size() != 2 || !pair.get(0).isIntegralNumber()) {
                throw ApiError.invalid(param, param + " must be a pair [token id, bias] (a token given as text is not "
                        + "supported: send its id)");
            }
            JsonNode value = pair.get(1);
            if (value.isBoolean() && !value.booleanValue()) {
                bias.put(pair.get(0).asText(), -SamplingParams.MAX_LOGIT_BIAS);
            } else if (value.isNumber()) {
                bias.set(pair.get(0).asText(), value);
            } else {
                throw ApiError.invalid(param, param + "'s bias must be a number, or false to ban the token");
            }
        }
        return bias;
    }
}
