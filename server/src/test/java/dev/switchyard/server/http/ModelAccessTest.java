package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.server.TinyAdapters;
import dev.switchyard.server.TinyModelFile;
import dev.switchyard.server.serving.AdapterSpec;
import dev.switchyard.server.serving.ApiKeys;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code models=} in the key file: a tenant's fine-tune (a LoRA adapter) is its alone. A key uses,
 * lists and finds only the models and adapters it names; anything else answers as a model that does
 * not exist, whether named by {@code model} or applied by a {@code lora} list; and a key kept to some
 * models cannot change the adapters every client gets.
 */
class ModelAccessTest {

    @TempDir
    static Path dir;
    private static TinyAdapters adapters;
    private static ServerFixture server;
    /** The served model's name, which a key's models= names to use it without an adapter. */
    private static final String BASE = ServerFixture.MODEL_NAME;

    @BeforeAll
    static void start() throws Exception {
        adapters = TinyAdapters.write("switchyard-access");
        Path keys = Files.writeString(dir.resolve("keys"),
                "root sk-root\nalice sk-alice models=style\nbob sk-bob models=" + BASE + ",terse\n");
        server = ServerFixture.servingWith(TinyModelFile.path(), ServerFixture.engine(8, 0, 64)
                        .withAdapters(List.of(new AdapterSpec("style", adapters.style(), 0f),
                                new AdapterSpec("terse", adapters.terse(), 0f))),
                HttpServerConfig.loopback(0).withApiKeys(ApiKeys.from(null, keys))
                        .withBatches(new HttpServerConfig.BatchConfig(null, 1 << 20, 2)));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        adapters.close();
    }

    private static HttpResponse<String> get(String key, String path) {
        return server.send(HttpRequest.newBuilder(server.uri(path)).header("Authorization", "Bearer " + key).GET().build());
    }

    private static HttpResponse<String> complete(String key, String extra) {
        return server.send(HttpRequest.newBuilder(server.uri("/v1/completions")).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"prompt\":\"The yard\",\"max_tokens\":2" + extra + "}")).build());
    }

    private static List<String> models(String key) {
        List<String> ids = new ArrayList<>();
        for (JsonNode m : ServerFixture.parse(get(key, "/v1/models").body()).get("data")) {
            ids.add(m.get("id").asText());
        }
        return ids;
    }

    private static void refused(HttpResponse<String> r, String model) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(404);
        JsonNode error = ServerFixture.parse(r.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("model_not_found");
        assertThat(error.get("message").asText()).contains("'" + model + "'");
    }

    @Test
    void aKeyListsAndFindsOnlyItsModels() {
        assertThat(models("sk-root")).containsExactly(BASE, "style", "terse");
        assertThat(models("sk-alice")).containsExactly("style");
        assertThat(models("sk-bob")).containsExactly(BASE, "terse");
        assertThat(get("sk-alice", "/v1/models/style").statusCode()).isEqualTo(200);
        refused(get("sk-alice", "/v1/models/terse"), "terse");
        assertThat(ServerFixture.parse(get("sk-alice", "/lora-adapters").body())).singleElement()
                .satisfies(a -> assertThat(a.get("name").asText()).isEqualTo("style"));
    }

    @Test
    void aKeyUsesOnlyItsModelsHoweverARequestNamesThem() {
        assertThat(complete("sk-alice", ",\"model\":\"style\"").statusCode()).isEqualTo(200);
        refused(complete("sk-alice", ""), BASE);
        refused(complete("sk-alice", ",\"model\":\"terse\""), "terse");
        refused(complete("sk-alice", ",\"model\":\"style\",\"lora\":[{\"id\":0,\"scale\":1},{\"id\":1,\"scale\":0.5}]"),
                "terse");
        assertThat(complete("sk-alice", ",\"model\":\"style\",\"lora\":[{\"id\":0,\"scale\":1},{\"id\":1,\"scale\":0}]")
                .statusCode()).as("an adapter at scale 0 is not used").isEqualTo(200);
        assertThat(complete("sk-bob", "").statusCode()).isEqualTo(200);
        assertThat(complete("sk-bob", ",\"model\":\"terse\"").statusCode()).isEqualTo(200);
        refused(complete("sk-bob", ",\"model\":\"style\""), "style");
        HttpResponse<String> chat = server.send(HttpRequest.newBuilder(server.uri("/v1/chat/completions"))
                .header("Authorization", "Bearer sk-bob").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"style\",\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"Hi\"}],\"max_tokens\":2}")).build());
        refused(chat, "style");
        assertThat(complete("sk-root", ",\"model\":\"terse\"").statusCode()).as("a key without models= uses any")
                .isEqualTo(200);
    }

    @Test
    void aKeyKeptToSomeModelsCannotChangeTheAdaptersEveryoneGets() {
        HttpResponse<String> set = server.send(HttpRequest.newBuilder(server.uri("/lora-adapters"))
                .header("Authorization", "Bearer sk-alice").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("[{\"id\":0,\"scale\":1}]")).build());
        assertThat(set.statusCode()).isEqualTo(403);
        assertThat(ServerFixture.parse(set.body()).at("/error/type").asText()).isEqualTo("permission_error");
        assertThat(ServerFixture.parse(get("sk-root", "/lora-adapters").body()).get(0).get("scale").asDouble())
                .as("the default scale is as it was").isZero();
    }

    @Test
    void aBatchsRequestsAreHeldToTheModelsOfTheKeyThatMadeIt() throws Exception {
        String lines = "{\"custom_id\":\"own\",\"method\":\"POST\",\"url\":\"/v1/completions\",\"body\":{\"model\":"
                + "\"style\",\"prompt\":\"Hi\",\"max_tokens\":2}}\n{\"custom_id\":\"other\",\"method\":\"POST\",\"url\":"
                + "\"/v1/completions\",\"body\":{\"model\":\"terse\",\"prompt\":\"Hi\",\"max_tokens\":2}}\n";
        JsonNode done = BatchesApiTest.batchAs(server, "sk-alice", lines, "/v1/completions");
        assertThat(done.at("/request_counts/completed").asInt()).as("her own adapter").isEqualTo(1);
        assertThat(done.at("/request_counts/failed").asInt()).as("not terse, though the server's own key sent it")
                .isEqualTo(1);
        JsonNode error = ServerFixture.parse(BatchesApiTest.contentAs(server, "sk-alice",
                done.get("error_file_id").asText()));
        assertThat(error.get("custom_id").asText()).isEqualTo("other");
        assertThat(error.at("/response/status_code").asInt()).isEqualTo(404);
    }
}
