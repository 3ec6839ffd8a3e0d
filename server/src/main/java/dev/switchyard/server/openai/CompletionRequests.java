package dev.switchyard.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.server.serving.GenerationSpec;
import dev.switchyard.server.serving.InvalidRequestException;
import dev.switchyard.server.serving.ServedModel;
import java.util.ArrayList;
import java.util.List;

/** Reads and validates a {@code POST /v1/completions} body. */
public final class CompletionRequests {

    /** OpenAI's default for the legacy completions endpoint. */
    static final int DEFAULT_MAX_TOKENS = 16;

    private CompletionRequests() {
    }

    public static OpenAiRequest parse(JsonNode body, ServedModel model, ApiLimits limits) {
        Fields f = new Fields(body);
        CommonFields.checkModel(f, model);
        CommonFields.refuseUnsupported(f);
        // with a suffix, each prompt is what comes before the text to write (fill in the middle); an
        // empty one is taken as none, so clients that always send the field get plain completions
        String suffix = f.string("suffix");
        if (suffix != null && suffix.isEmpty()) {
            suffix = null;
        }
        for (String chatOnly : List.of("tools", "tool_choice", "parallel_tool_calls")) {
            if (f.has(chatOnly)) {
                throw ApiError.invalid(chatOnly, chatOnly + " belongs to chat completions (/v1/chat/completions)");
            }
        }
        boolean echo = f.bool("echo", false);
        Integer logprobs = f.integer("logprobs");
        if (logprobs != null && (logprobs < 0 || logprobs > SamplingParams.MAX_LOGPROBS)) {
            throw ApiError.invalid("logprobs", "logprobs must be in 0.." + SamplingParams.MAX_LOGPROBS + ", got " + logprobs);
        }
        if (echo && suffix != null) {
            throw ApiError.unsupported("echo", "echo with suffix (the prompt around the insertion)");
        }
        int n = CommonFields.n(f, limits);
        boolean[] streaming = CommonFields.streaming(f);
        int promptLogprobs = CommonFields.promptLogprobs(f, streaming[0]);
        // echo with logprobs scores the prompt too (what evaluation harnesses ask for), with as many alternatives
        int scored = Math.max(promptLogprobs, echo && logprobs != null ? logprobs : -1);
        Integer maxTokens = CommonFields.maxTokens(f, "max_tokens");
        List<String> stop = CommonFields.stop(f, limits);
        SamplingParams.Builder sampling = CommonFields.sampling(f, model.tokenizer().vocabSize());
        sampling.logprobs(logprobs == null ? SamplingParams.NO_LOGPROBS : logprobs);
        sampling.restrictions(CommonFields.restrictions(f, model, maxTokens, "max_tokens"));
        sampling.extras(CommonFields.extras(f, model));
        Integer keep = CommonFields.truncation(f, model);
        if (keep != null && suffix != null) {
            throw ApiError.unsupported("truncate_prompt_tokens", "truncate_prompt_tokens with suffix (it would cut the "
                    + "fill-in-the-middle layout)");
        }

        List<int[]> prompts = new ArrayList<>();
        List<String> echoTexts = new ArrayList<>();
        readPrompts(f.node("prompt"), suffix, model, prompts, echoTexts);
        for (int i = 0; i < prompts.size(); i++) {
            int[] kept = CommonFields.truncate(prompts.get(i), keep);
            if (kept != prompts.get(i)) {
                prompts.set(i, kept);
                echoTexts.set(i, model.tokenizer().decode(kept)); // what is echoed is what the model read
            }
        }
        if (prompts.size() > limits.maxPrompts()) {
            throw ApiError.invalid("prompt", "at most " + limits.maxPrompts() + " prompts per request, got " + prompts.size());
        }
        if (prompts.size() * n > limits.maxChoices()) {
            throw ApiError.invalid("n", "prompts x n may be at most " + limits.maxChoices() + ", got "
                    + prompts.size() + " x " + n);
        }
        GenerationSpec spec = CommonFields.withAdapters(
                new GenerationSpec(prompts, echo ? echoTexts : null, n, CommonFields.build(sampling),
                maxTokens == null ? DEFAULT_MAX_TOKENS : maxTokens, stop, "prompt", "max_tokens", false,
                CommonFields.cacheSalt(f), null, StructuredOutputs.parse(f, model), null, scored,
                f.bool("include_stop_str_in_output", false), CommonFields.priority(f, model))
                .withRenderSpecial(CommonFields.rendersSpecialTokens(f)), f, model)
                .withPrediction(CommonFields.prediction(f, model));
        return new OpenAiRequest(spec, streaming[0], streaming[1], logprobs == null ? -1 : logprobs, promptLogprobs,
                f.bool("return_tokens_as_token_ids", false));
    }

    /**
     * A string, a list of strings, a list of token ids, or a list of lists of token ids; each the
     * prefix of a fill-in-the-middle prompt where {@code suffix} is not null.
     */
    private static void readPrompts(JsonNode prompt, String suffix, ServedModel model, List<int[]> prompts,
                                    List<String> texts) {
        prompts.addAll(promptList(prompt, "prompt", "prompts", model, texts, new PromptReader() {
            @Override
            public int[] text(String text, String param) {
                return CompletionRequests.text(model, text, suffix, param);
            }

            @Override
            public int[] ids(int[] ids, String param) {
                return tokenIds(model, ids, suffix, param);
            }
        }));
    }

    /** How each prompt of a list becomes token ids: from its text, or from the ids a client sent, named by {@code param}. */
    interface PromptReader {
        int[] text(String text, String param);

        int[] ids(int[] ids, String param);
    }

    /**
     * The prompts of field {@code name}: a string, a list of strings, a list of token ids, or a list
     * of lists of them, each read by {@code reader}, in order ({@code plural} names them in errors).
     * {@code texts}, where not null, gets each prompt as text (ids decoded).
     */
    static List<int[]> promptList(JsonNode node, String name, String plural, ServedModel model, List<String> texts,
                                  PromptReader reader) {
        if (node == null) {
            throw ApiError.invalid(name, name + " is required");
        }
        List<int[]> prompts = new ArrayList<>();
        try {
            if (node.isTextual()) {
                prompts.add(reader.text(node.textValue(), name));
                addText(texts, node.textValue());
                return prompts;
            }
            if (!node.isArray() || node.isEmpty()) {
                throw ApiError.invalid(name, name + " must be a string, a list of strings, a list of token ids "
                        + "or a list of lists of token ids");
            }
            JsonNode first = node.get(0);
            if (first.isNumber()) {
                int[] ids = ids(node, name);
                prompts.add(reader.ids(ids, name));
                addText(texts, texts == null ? null : model.tokenizer().decode(ids));
                return prompts;
            }
            for (int i = 0; i < node.size(); i++) {
                JsonNode p = node.get(i);
                String param = name + "[" + i + "]";
                if (first.isTextual() && p.isTextual()) {
                    prompts.add(reader.text(p.textValue(), param));
                    addText(texts, p.textValue());
                } else if (first.isArray() && p.isArray()) {
                    int[] ids = ids(p, param);
                    prompts.add(reader.ids(ids, param));
                    addText(texts, texts == null ? null : model.tokenizer().decode(ids));
                } else {
                    throw ApiError.invalid(param, "the " + plural + " of one request must all be strings or all lists "
                            + "of token ids");
                }
            }
            return prompts;
        } catch (InvalidRequestException e) {
            throw ApiError.of(e);
        }
    }

    private static void addText(List<String> texts, String text) {
        if (texts != null) {
            texts.add(text);
        }
    }

    private static int[] text(ServedModel model, String prompt, String suffix, String param) {
        return suffix == null ? model.prompts().text(prompt, param) : model.prompts().fill(prompt, null, suffix, "suffix");
    }

    private static int[] tokenIds(ServedModel model, int[] ids, String suffix, String param) {
        int[] checked = suffix == null || ids.length > 0 ? model.prompts().tokenIds(ids, param) : ids;
        return suffix == null ? checked : model.prompts().fill(null, checked, suffix, "suffix");
    }

    static int[] ids(JsonNode array, String param) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = Fields.intElement(array.get(i), param + "[" + i + "]");
        }
        return ids;
    }
}
