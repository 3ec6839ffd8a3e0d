package dev.switchyard.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.server.serving.EmbeddingNorm;
import dev.switchyard.server.serving.GenerationSpec;
import dev.switchyard.server.serving.ServedModel;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenAI's embeddings API ({@code POST /v1/embeddings}, as vLLM serves it): {@code input} is a text,
 * a list of texts, a list of token ids or a list of lists of them; each comes back as the prompt's
 * final hidden states pooled as the server pools them ({@link ServedModel#pooling()}), unit length by
 * default. Texts are tokenized as the model file asks, BOS and EOS where it wants them.
 * {@code encoding_format} is {@code float} or {@code base64} (little-endian float32, as OpenAI's);
 * {@code dimensions} keeps the first that many values of the pooled vector before it is normalized
 * (Matryoshka embeddings, as Qwen3-Embedding's and OpenAI's text-embedding-3 are trained to be cut;
 * a model not trained so loses meaning when cut, and the file does not say which it is); vLLM's {@code normalize: false} leaves the vector as pooled, and {@code truncate_prompt_tokens}
 * keeps only the last tokens.
 */
public final class EmbeddingsApi {

    /** The most inputs one request may embed: OpenAI's own limit, which clients batch up to. */
    public static final int MAX_INPUTS = 2048;

    private EmbeddingsApi() {
    }

    /** The renderer of a valid request; an {@link ApiError} naming the field otherwise. */
    public static ResponseRenderer renderer(JsonNode body, ServedModel model) {
        return parse(body, model, false);
    }

    /**
     * llama.cpp's own {@code POST /embedding}: {@code content} (or {@code input}) as above, each vector
     * normalized as {@code embd_normalize} says (2, Euclidean, by default; -1 none; 0 scaled to
     * int16's range by its largest value; 1 the sum of magnitudes; p above 2 the p-norm), answered as
     * llama-server answers: {@code [{"index", "embedding": [[...]]}]}. No model name is read.
     */
    public static ResponseRenderer llamaCppRenderer(JsonNode body, ServedModel model) {
        return parse(body, model, true);
    }

    private static ResponseRenderer parse(JsonNode body, ServedModel model, boolean llamaCpp) {
        Fields f = new Fields(body);
        if (!llamaCpp) {
            CommonFields.checkModel(f, model);
        }
        String format = f.string("encoding_format");
        if (format != null && !format.equals("float") && !format.equals("base64")) {
            throw ApiError.invalid("encoding_format", "encoding_format must be float or base64, got '" + format + "'");
        }
        Integer dimensions = f.integer("dimensions");
        if (dimensions != null && (dimensions < 1 || dimensions > model.embeddingSize())) {
            throw ApiError.invalid("dimensions", "dimensions must be 1 to this model's " + model.embeddingSize()
                    + ", got " + dimensions);
        }
        Integer keep = CommonFields.truncation(f, model);
        List<int[]> prompts = new ArrayList<>();
        String inputParam = llamaCpp && !f.has("input") ? "content" : "input";
        read(f.node(inputParam), inputParam, model, prompts);
        if (prompts.size() > MAX_INPUTS) {
            throw ApiError.invalid(inputParam, "at most " + MAX_INPUTS + " inputs per request, got " + prompts.size());
        }
        fit(prompts, keep, model, i -> prompts.size() == 1 ? inputParam : inputParam + "[" + i + "]");
        GenerationSpec spec = CommonFields.withAdapters(
                GenerationSpec.embeddings(prompts, inputParam, model.pooling(),
                CommonFields.priority(f, model)), f, model);
        int norm = f.bool("normalize", true) ? EmbeddingNorm.EUCLIDEAN : EmbeddingNorm.AS_POOLED;
        if (llamaCpp && f.has("embd_normalize")) {
            Integer p = f.integer("embd_normalize");
            if (p == null || p < EmbeddingNorm.AS_POOLED) {
                throw ApiError.invalid("embd_normalize", "embd_normalize must be -1 (none), 0 (int16 range), 1 (sum of "
                        + "magnitudes), 2 (Euclidean) or a larger p-norm");
            }
            norm = p;
        }
        return new EmbeddingsRenderer(new OpenAiRequest(spec, false, false, -1), model.nameFor(spec),
                "base64".equals(format), norm, llamaCpp, dimensions == null ? model.embeddingSize() : dimensions);
    }

    /**
     * Keeps each prompt's last {@code keep} tokens (null: all), and refuses, naming {@code param(i)},
     * one longer than the model reads at once.
     */
    static void fit(List<int[]> prompts, Integer keep, ServedModel model, java.util.function.IntFunction<String> param) {
        prompts.replaceAll(p -> CommonFields.truncate(p, keep));
        int limit = model.maxSequenceLength();
        for (int i = 0; i < prompts.size(); i++) {
            if (prompts.get(i).length > limit) {
                throw new ApiError(400, "invalid_request_error", param.apply(i) + " has " + prompts.get(i).length
                        + " tokens, more than the " + limit + " this model reads at once; shorten it or set "
                        + "truncate_prompt_tokens", param.apply(i), "context_length_exceeded");
            }
        }
    }

    /** A text, a list of texts, a list of token ids, or a list of lists of them, read from {@code name}. */
    private static void read(JsonNode input, String name, ServedModel model, List<int[]> prompts) {
        prompts.addAll(CompletionRequests.promptList(input, name, "inputs", model, null,
                new CompletionRequests.PromptReader() {
                    @Override
                    public int[] text(String text, String param) {
                        return model.prompts().embeddingText(text, param);
                    }

                    @Override
                    public int[] ids(int[] ids, String param) {
                        return model.prompts().tokenIds(ids, param);
                    }
                }));
    }
}
