package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code /v1/score} and {@code /v1/rerank} score pairs by the cosine similarity of the texts'
 * embeddings, the same vectors {@code /v1/embeddings} returns; a rerank orders the documents by it.
 */
class ScoringApiTest {

    private static ServerFixture server;
    private static final String[] DOCS = {"The yard sorts trains.", "Bananas are yellow.", "A switchyard is a rail yard.",
        "Wagons wait on sidings."};

    @BeforeAll
    static void start() throws Exception {
        server = ServerFixture.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static float[] embedding(String text) {
        JsonNode e = server.ok("/v1/embeddings", "{\"input\":\"" + text + "\"}").at("/data/0/embedding");
        float[] v = new float[e.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = e.get(i).floatValue();
        }
        return v;
    }

    private static double cosine(String a, String b) {
        float[] x = embedding(a);
        float[] y = embedding(b);
        double dot = 0;
        for (int i = 0; i < x.length; i++) {
            dot += (double) x[i] * y[i];
        }
        return dot;
    }

    private static String list(String... texts) {
        return "[\"" + String.join("\",\"", texts) + "\"]";
    }

    @Test
    void scoresAreTheCosinesOfTheEmbeddingsOneAgainstManyOrPairByPair() {
        String query = "What is a switchyard?";
        JsonNode r = server.ok("/v1/score", "{\"text_1\":\"" + query + "\",\"text_2\":" + list(DOCS) + "}");
        assertThat(r.get("object").asText()).isEqualTo("list");
        assertThat(r.get("data")).hasSize(DOCS.length);
        for (int i = 0; i < DOCS.length; i++) {
            JsonNode d = r.get("data").get(i);
            assertThat(d.get("index").asInt()).isEqualTo(i);
            assertThat(d.get("object").asText()).isEqualTo("score");
            assertThat(d.get("score").asDouble()).isCloseTo(cosine(query, DOCS[i]), within(1e-5));
        }
        JsonNode pairs = server.ok("/score", "{\"text_1\":" + list(DOCS[0], DOCS[1]) + ",\"text_2\":"
                + list(DOCS[2], DOCS[3]) + "}");
        assertThat(pairs.at("/data/0/score").asDouble()).isCloseTo(cosine(DOCS[0], DOCS[2]), within(1e-5));
        assertThat(pairs.at("/data/1/score").asDouble()).isCloseTo(cosine(DOCS[1], DOCS[3]), within(1e-5));
        assertThat(r.at("/usage/prompt_tokens").asInt()).isPositive();
    }

    @Test
    void aRerankOrdersTheDocumentsByScoreAndKeepsTheTopN() {
        String query = "What is a switchyard?";
        List<Double> scores = new ArrayList<>();
        for (String d : DOCS) {
            scores.add(cosine(query, d));
        }
        JsonNode r = server.ok("/v1/rerank", "{\"query\":\"" + query + "\",\"documents\":" + list(DOCS) + "}");
        JsonNode results = r.get("results");
        assertThat(results).hasSize(DOCS.length);
        for (int k = 0; k < results.size(); k++) {
            JsonNode entry = results.get(k);
            int i = entry.get("index").asInt();
            assertThat(entry.get("relevance_score").asDouble()).isCloseTo(scores.get(i), within(1e-5));
            assertThat(entry.at("/document/text").asText()).isEqualTo(DOCS[i]);
            if (k > 0) {
                assertThat(entry.get("relevance_score").asDouble())
                        .isLessThanOrEqualTo(results.get(k - 1).get("relevance_score").asDouble());
            }
        }
        JsonNode top = server.ok("/rerank", "{\"query\":\"" + query + "\",\"top_n\":2,\"return_documents\":false,"
                + "\"documents\":[{\"text\":\"" + String.join("\"},{\"text\":\"", DOCS) + "\"}]}");
        assertThat(top.get("results")).hasSize(2);
        assertThat(top.at("/results/0/index").asInt()).isEqualTo(results.get(0).get("index").asInt());
        assertThat(top.at("/results/0/document").isMissingNode()).isTrue();
    }

    @Test
    void whatCannotBeScoredIsRefusedByName() {
        for (String[] bad : new String[][] {{"/v1/score", "{\"text_1\":[\"a\",\"b\"],\"text_2\":[\"c\"]}", "text_2"},
                {"/v1/score", "{\"text_2\":\"c\"}", "text_1"}, {"/v1/rerank", "{\"documents\":[\"a\"]}", "query"},
                {"/v1/rerank", "{\"query\":\"q\",\"documents\":[]}", "documents"},
                {"/v1/rerank", "{\"query\":\"q\",\"documents\":[5]}", "documents[0]"},
                {"/v1/rerank", "{\"query\":\"q\",\"documents\":[\"a\"],\"top_n\":0}", "top_n"}}) {
            HttpResponse<String> r = server.post(bad[0], bad[1]);
            assertThat(r.statusCode()).as(bad[1]).isEqualTo(400);
            assertThat(ServerFixture.parse(r.body()).at("/error/param").asText()).isEqualTo(bad[2]);
        }
    }
}
