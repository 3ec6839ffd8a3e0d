package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.switchyard.server.serving.EmbeddingNorm;
import dev.switchyard.server.serving.Usage;
import java.io.IOException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Scores of pairs of embedded texts (the cosine similarity of unit vectors), written as vLLM's
 * {@code /v1/score} or as Jina's and Cohere's {@code rerank} answers them.
 */
final class ScoresRenderer extends EmbeddingReplies {

    enum Shape { SCORE, RERANK }

    /**
     * A rerank's documents, how many of the most relevant to return, and whether with their text.
     */
    record Ranking(List<String> documents, int topN, boolean returnDocuments) {
    }

    private final String model;
    /** Per score: the indexes of its two texts among the embedded ones. */
    private final int[][] pairs;
    private final Ranking ranking;
    private final Shape shape;
    private final long created = System.currentTimeMillis() / 1000;

    ScoresRenderer(OpenAiRequest request, String model, int[][] pairs, Ranking ranking, Shape shape) {
        super(request, EmbeddingNorm.EUCLIDEAN);
        this.model = model;
        this.pairs = pairs;
        this.ranking = ranking;
        this.shape = shape;
    }

    /** The cosine similarity of pair {@code i}: the dot product of its unit vectors. */
    private double score(int i) {
        float[] a = vectors[pairs[i][0]];
        float[] b = vectors[pairs[i][1]];
        double dot = 0;
        for (int d = 0; d < a.length; d++) {
            dot += (double) a[d] * b[d];
        }
        return dot;
    }

    @Override
    public void writeResponse(JsonGenerator g, Usage usage) throws IOException {
        double[] scores = new double[pairs.length];
        for (int i = 0; i < pairs.length; i++) {
            scores[i] = score(i);
        }
        g.writeStartObject();
        g.writeStringField("id", (shape == Shape.SCORE ? "score-" : "rerank-") + java.util.UUID.randomUUID());
        g.writeStringField("model", model);
        if (shape == Shape.SCORE) {
            g.writeStringField("object", "list");
            g.writeNumberField("created", created);
            g.writeArrayFieldStart("data");
            for (int i = 0; i < scores.length; i++) {
                g.writeStartObject();
                g.writeNumberField("index", i);
                g.writeStringField("object", "score");
                g.writeNumberField("score", scores[i]);
                g.writeEndObject();
            }
            g.writeEndArray();
        } else {
            Integer[] order = new Integer[scores.length];
            Arrays.setAll(order, i -> i);
            // most relevant first; equal scores in the documents' order
            Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparingInt(i -> i));
            g.writeArrayFieldStart("results");
            for (int r = 0; r < ranking.topN(); r++) {
                int i = order[r];
                g.writeStartObject();
                g.writeNumberField("index", i);
                if (ranking.returnDocuments()) {
                    g.writeObjectFieldStart("document");
                    g.writeStringField("text", ranking.documents().get(i));
                    g.writeEndObject();
                }
                g.writeNumberField("relevance_score", scores[i]);
                g.writeEndObject();
            }
            g.writeEndArray();
        }
        g.writeObjectFieldStart("usage");
        g.writeNumberField("prompt_tokens", usage.promptTokens());
        g.writeNumberField("total_tokens", usage.promptTokens());
        g.writeEndObject();
        g.writeEndObject();
    }
}
