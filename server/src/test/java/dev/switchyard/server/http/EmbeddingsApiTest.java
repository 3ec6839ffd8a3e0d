package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.engine.generate.Pooling;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/embeddings}: a text and its token ids embed alike, each input of a list as it does
 * alone and whatever runs beside it, unit length unless asked otherwise, as floats or base64 of the
 * same floats; what cannot be honoured is refused by name.
 */
class EmbeddingsApiTest {

    private static ServerFixture server;

    @BeforeAll
    static void start() throws Exception {
        server = ServerFixture.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static float[] vector(JsonNode embedding) {
        float[] v = new float[embedding.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = embedding.get(i).floatValue();
        }
        return v;
    }

    private static List<float[]> embed(String input, String extra) {
        JsonNode r = server.ok("/v1/embeddings", "{\"input\":" + input + extra + "}");
        assertThat(r.get("object").asText()).isEqualTo("list");
        assertThat(r.get("model").asText()).isEqualTo(ServerFixture.MODEL_NAME);
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < r.get("data").size(); i++) {
            JsonNode d = r.get("data").get(i);
            assertThat(d.get("object").asText()).isEqualTo("embedding");
            assertThat(d.get("index").asInt()).isEqualTo(i);
            out.add(vector(d.get("embedding")));
        }
        return out;
    }

    private static double norm(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        return Math.sqrt(sum);
    }

    private static void assertClose(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        for (int i = 0; i < a.length; i++) {
            assertThat(a[i]).as("value %d", i).isCloseTo(b[i], within(1e-6f));
        }
    }

    @Test
    void aTextAndItsTokenIdsEmbedAlikeAndEachInputAsItDoesAlone() {
        String[] texts = {"The switchyard", "hello there", "Trains, wagons and the yard between them.", "x"};
        List<float[]> alone = new ArrayList<>();
        for (String t : texts) {
            alone.add(embed("\"" + t + "\"", "").getFirst());
        }
        assertThat(alone.getFirst().length).isEqualTo(server.served.embeddingSize());
        for (float[] v : alone) {
            assertThat(norm(v)).isCloseTo(1, within(1e-5));
        }
        JsonNode ids = server.ok("/tokenize", "{\"prompt\":\"The switchyard\"}").get("tokens");
        assertClose(embed(ids.toString(), "").getFirst(), alone.getFirst());
        assertClose(embed("[" + ids + "]", "").getFirst(), alone.getFirst());
        // all four in one request, while completions run beside them
        List<CompletableFuture<JsonNode>> talk = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            talk.add(CompletableFuture.supplyAsync(() -> server.ok("/v1/completions",
                    "{\"prompt\":\"Busy yard\",\"max_tokens\":40,\"ignore_eos\":true,\"temperature\":1,\"seed\":4}")));
        }
        List<float[]> together = embed("[\"" + String.join("\",\"", texts) + "\"]", "");
        talk.forEach(CompletableFuture::join);
        for (int i = 0; i < texts.length; i++) {
            assertClose(together.get(i), alone.get(i));
        }
        assertThat(alone.get(0)).isNotEqualTo(alone.get(1));
        JsonNode usage = server.ok("/v1/embeddings", "{\"input\":\"The switchyard\"}").get("usage");
        assertThat(usage.get("prompt_tokens").asInt()).isEqualTo(ids.size()).isEqualTo(usage.get("total_tokens").asInt());
        assertThat(server.served.pooling()).as("a model file that names no pooling: the last token's")
                .isEqualTo(Pooling.LAST);
    }

    @Test
    void base64CarriesTheSameFloatsAndNormalizeFalseTheVectorAsPooled() {
        float[] floats = embed("\"The switchyard\"", "").getFirst();
        JsonNode r = server.ok("/v1/embeddings", "{\"input\":\"The switchyard\",\"encoding_format\":\"base64\"}");
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(r.at("/data/0/embedding").asText()))
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] decoded = new float[bytes.remaining() / Float.BYTES];
        for (int i = 0; i < decoded.length; i++) {
            decoded[i] = bytes.getFloat();
        }
        assertThat(decoded).containsExactly(floats);
        float[] raw = embed("\"The switchyard\"", ",\"normalize\":false").getFirst();
        double length = norm(raw);
        assertThat(length).isNotCloseTo(1, within(1e-3));
        float[] scaled = new float[raw.length];
        for (int i = 0; i < raw.length; i++) {
            scaled[i] = (float) (raw[i] / length);
        }
        assertClose(scaled, floats);
        // Matryoshka: the first values of the pooled vector, then unit length
        float[] cut = embed("\"The switchyard\"", ",\"dimensions\":16").getFirst();
        assertThat(cut).hasSize(16);
        assertThat(norm(cut)).isCloseTo(1, within(1e-5));
        double head = 0;
        for (int i = 0; i < 16; i++) {
            head += (double) raw[i] * raw[i];
        }
        for (int i = 0; i < 16; i++) {
            assertThat(cut[i]).isCloseTo((float) (raw[i] / Math.sqrt(head)), within(1e-6f));
        }
        // only the last tokens read: the same as sending those tokens
        JsonNode ids = server.ok("/tokenize", "{\"prompt\":\"The switchyard keeps its trains\"}").get("tokens");
        List<Integer> last = new ArrayList<>();
        for (int i = ids.size() - 3; i < ids.size(); i++) {
            last.add(ids.get(i).asInt());
        }
        assertClose(embed("\"The switchyard keeps its trains\"", ",\"truncate_prompt_tokens\":3").getFirst(),
                embed(last.toString(), "").getFirst());
    }

    /** llama-server's /embedding: one list of one vector per input. */
    private static float[] llamaCpp(String fields) {
        JsonNode r = server.ok("/embedding", "{" + fields + "}");
        assertThat(r.isArray()).isTrue();
        assertThat(r.get(0).get("index").asInt()).isZero();
        assertThat(r.get(0).get("embedding")).hasSize(1);
        return vector(r.get(0).get("embedding").get(0));
    }

    @Test
    void llamaCppsOwnShapeAndNorms() {
        float[] unit = embed("\"The switchyard\"", "").getFirst();
        assertClose(llamaCpp("\"content\":\"The switchyard\""), unit);
        assertClose(llamaCpp("\"input\":\"The switchyard\",\"embd_normalize\":2"), unit);
        assertClose(llamaCpp("\"content\":\"The switchyard\",\"embd_normalize\":-1"),
                embed("\"The switchyard\"", ",\"normalize\":false").getFirst());
        double l1 = 0;
        for (float x : llamaCpp("\"content\":\"The switchyard\",\"embd_normalize\":1")) {
            l1 += Math.abs(x);
        }
        assertThat(l1).isCloseTo(1, within(1e-4));
        double max = 0;
        for (float x : llamaCpp("\"content\":\"The switchyard\",\"embd_normalize\":0")) {
            max = Math.max(max, Math.abs(x));
        }
        assertThat(max).isCloseTo(32760, within(0.01));
        double p3 = 0;
        for (float x : llamaCpp("\"content\":\"The switchyard\",\"embd_normalize\":3")) {
            p3 += Math.pow(Math.abs(x), 3);
        }
        assertThat(p3).isCloseTo(1, within(1e-4));
        JsonNode two = server.ok("/embeddings", "{\"content\":[\"a\",\"b\"]}");
        assertThat(two).hasSize(2);
        assertThat(two.get(1).get("index").asInt()).isEqualTo(1);
        HttpResponse<String> bad = server.post("/embedding", "{\"content\":\"a\",\"embd_normalize\":-2}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(ServerFixture.parse(bad.body()).at("/error/param").asText()).isEqualTo("embd_normalize");
        assertThat(ServerFixture.parse(server.post("/embedding", "{}").body()).at("/error/param").asText())
                .isEqualTo("content");
    }

    @Test
    void whatCannotBeHonouredIsRefusedByName() {
        String tooLong = "yard ".repeat(3000);
        for (String[] bad : new String[][] {{"{}", "input"}, {"{\"input\":[]}", "input"},
                {"{\"input\":[\"a\",[1]]}", "input[1]"}, {"{\"input\":[999999]}", "input[0]"},
                {"{\"input\":\"a\",\"dimensions\":0}", "dimensions"},
                {"{\"input\":\"a\",\"dimensions\":100000}", "dimensions"},
                {"{\"input\":\"a\",\"encoding_format\":\"int8\"}", "encoding_format"},
                {"{\"input\":\"" + tooLong + "\"}", "input"}}) {
            HttpResponse<String> r = server.post("/v1/embeddings", bad[0]);
            assertThat(r.statusCode()).as(bad[0].length() > 80 ? "too long" : bad[0]).isEqualTo(400);
            assertThat(ServerFixture.parse(r.body()).at("/error/param").asText()).isEqualTo(bad[1]);
        }
        HttpResponse<String> other = server.post("/v1/embeddings", "{\"input\":\"a\",\"model\":\"nope\"}");
        assertThat(other.statusCode()).isEqualTo(404);
        assertThat(server.post("/v1/embeddings", "{\"input\":\"" + tooLong + "\",\"truncate_prompt_tokens\":8}")
                .statusCode()).isEqualTo(200);
    }
}
