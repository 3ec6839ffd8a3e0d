package dev.switchyard.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.server.serving.GenerationSpec;
import dev.switchyard.server.serving.InvalidRequestException;
import dev.switchyard.server.serving.ServedModel;
import java.util.ArrayList;
import java.util.List;

/**
 * Scoring texts against each other with the served model's embeddings, as vLLM scores them with an
 * embedding model (a bi-encoder): each text is embedded once, and a pair's score is the cosine
 * similarity of its two embeddings.
 * <ul>
 * <li>{@code POST /v1/score} (also {@code /score}): {@code text_1} and {@code text_2}, each a text or
 *     a list; one text against each of a list, or two lists of the same length pair by pair.
 *     Answered as {@code {"object": "list", "data": [{"index", "object": "score", "score"}]}}.</li>
 * <li>{@code POST /v1/rerank} (also {@code /rerank}, {@code /v2/rerank}): Jina's and Cohere's shape,
 *     as vLLM and llama-server take it: {@code query}, {@code documents} (texts, or objects with a
 *     {@code text}), {@code top_n}; answered with {@code results}, most relevant first, each with
 *     its {@code index}, {@code relevance_score} and, with {@code return_documents} (the default),
 *     its {@code document}.</li>
 * </ul>
 * A cross-encoder reranker (one that reads query and document together) scores differently; this
 * server has none, and says so in its documentation rather than pretending.
 */
public final class ScoringApi {

    private ScoringApi() {
    }

    /** {@code /v1/score}. */
    public static ResponseRenderer scoreRenderer(JsonNode body, ServedModel model) {
        Fields f = new Fields(body);
        CommonFields.checkModel(f, model);
        List<String> first = texts(f.node("text_1"), "text_1");
        List<String> second = texts(f.node("text_2"), "text_2");
        boolean oneToMany = first.size() == 1;
        if (!oneToMany && first.size() != second.size()) {
            throw ApiError.invalid("text_2", "text_1 is one text, or a list as long as text_2 (pairs in order); got "
                    + first.size() + " and " + second.size());
        }
        List<String> all = new ArrayList<>(first);
        all.addAll(second);
        int[][] pairs = new int[second.size()][];
        for (int i = 0; i < second.size(); i++) {
            pairs[i] = new int[] {oneToMany ? 0 : i, first.size() + i};
        }
        OpenAiRequest request = request(f, model, all, i -> i < first.size() ? "text_1" : "text_2");
        return new ScoresRenderer(request, model.nameFor(request.spec()), pairs, null, ScoresRenderer.Shape.SCORE);
    }

    /** {@code /v1/rerank}. */
    public static ResponseRenderer rerankRenderer(JsonNode body, ServedModel model) {
        Fields f = new Fields(body);
        CommonFields.checkModel(f, model);
        String query = f.string("query");
        if (query == null) {
            throw ApiError.invalid("query", "query is required");
        }
        JsonNode docs = f.node("documents");
        if (docs == null || !docs.isArray() || docs.isEmpty()) {
            throw ApiError.invalid("documents", "documents must be a non-empty list of texts");
        }
        List<String> documents = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            JsonNode d = docs.get(i);
            JsonNode text = d.isObject() ? d.get("text") : d;
            if (text == null || !text.isTextual()) {
                throw ApiError.invalid("documents[" + i + "]", "a document is a text or an object with a text");
            }
            documents.add(text.textValue());
        }
        Integer topN = f.integer("top_n");
        if (topN != null && topN < 1) {
            throw ApiError.invalid("top_n", "top_n must be at least 1, got " + topN);
        }
        List<String> all = new ArrayList<>();
        all.add(query);
        all.addAll(documents);
        int[][] pairs = new int[documents.size()][];
        for (int i = 0; i < documents.size(); i++) {
            pairs[i] = new int[] {0, 1 + i};
        }
        ScoresRenderer.Ranking ranking = new ScoresRenderer.Ranking(documents,
                topN == null ? documents.size() : Math.min(topN, documents.size()), f.bool("return_documents", true));
        OpenAiRequest request = request(f, model, all, i -> i == 0 ? "query" : "documents[" + (i - 1) + "]");
        return new ScoresRenderer(request, model.nameFor(request.spec()), pairs, ranking, ScoresRenderer.Shape.RERANK);
    }

    /** The embedding request of {@code texts}, each checked and fitted to the context. */
    private static OpenAiRequest request(Fields f, ServedModel model, List<String> texts,
                                         java.util.function.IntFunction<String> param) {
        if (texts.size() > EmbeddingsApi.MAX_INPUTS) {
            throw ApiError.invalid(param.apply(texts.size() - 1), "at most " + EmbeddingsApi.MAX_INPUTS
                    + " texts per request, got " + texts.size());
        }
        Integer keep = CommonFields.truncation(f, model);
        List<int[]> prompts = new ArrayList<>();
        try {
            for (int i = 0; i < texts.size(); i++) {
                prompts.add(model.prompts().embeddingText(texts.get(i), param.apply(i)));
            }
        } catch (InvalidRequestException e) {
            throw ApiError.of(e);
        }
        EmbeddingsApi.fit(prompts, keep, model, param);
        GenerationSpec spec = CommonFields.withAdapters(
                GenerationSpec.embeddings(prompts, param.apply(0), model.pooling(),
                CommonFields.priority(f, model)), f, model);
        return new OpenAiRequest(spec, false, false, -1);
    }

    /** A text or a non-empty list of texts. */
    private static List<String> texts(JsonNode node, String param) {
        if (node != null && node.isTextual()) {
            return List.of(node.textValue());
        }
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw ApiError.invalid(param, param + " must be a text or a non-empty list of texts");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            if (!node.get(i).isTextual()) {
                throw ApiError.invalid(param + "[" + i + "]", "each item must be a text");
            }
            out.add(node.get(i).textValue());
        }
        return out;
    }
}
