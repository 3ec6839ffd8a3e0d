package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.server.serving.ApiKeys;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where each client has a key of its own, the Files, Batch and Message Batches APIs keep each
 * client's files, batches and results to that client: another key neither lists them nor reads,
 * deletes, cancels or runs them (it finds nothing, as for an id that was never made); and this holds
 * for the next server started on the same files directory.
 */
class FilesAndBatchesPerKeyTest {

    @TempDir
    Path dir;

    private static HttpRequest as(String key, HttpRequest request) {
        return HttpRequest.newBuilder(request, (name, value) -> true).header("Authorization", "Bearer " + key).build();
    }

    private static HttpResponse<String> get(ServerFixture server, String key, String path) {
        return server.send(HttpRequest.newBuilder(server.uri(path)).header("Authorization", "Bearer " + key).GET().build());
    }

    private static HttpResponse<String> post(ServerFixture server, String key, String path, String body) {
        return server.send(HttpRequest.newBuilder(server.uri(path)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static String ids(HttpResponse<String> list) {
        assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
        return ServerFixture.parse(list.body()).get("data").toString();
    }

    private ServerFixture serve(Path files) throws Exception {
        Path keys = dir.resolve("keys");
        if (!Files.exists(keys)) {
            Files.writeString(keys, "alice sk-alice\nbob sk-bob\n");
        }
        return ServerFixture.start(ServerFixture.engine(8, 0, 64), HttpServerConfig.loopback(0)
                .withApiKeys(ApiKeys.from(null, keys))
                .withBatches(new HttpServerConfig.BatchConfig(files, 1 << 20, 2)));
    }

    private static JsonNode ended(ServerFixture server, String key, String path) throws InterruptedException {
        for (int i = 0; i < 400; i++) {
            JsonNode b = ServerFixture.parse(get(server, key, path).body());
            String status = b.path("status").asText(b.path("processing_status").asText());
            if (status.equals("completed") || status.equals("ended") || status.equals("failed")) {
                return b;
            }
            Thread.sleep(25);
        }
        throw new AssertionError("not ended: " + path);
    }

    @Test
    void eachClientSeesOnlyItsOwnFilesBatchesAndResults() throws Exception {
        Path files = dir.resolve("files");
        String fileId;
        String batchId;
        String outputId;
        String messageBatchId;
        try (ServerFixture server = serve(files)) {
            String line = "{\"custom_id\":\"a1\",\"method\":\"POST\",\"url\":\"/v1/completions\",\"body\":"
                    + "{\"prompt\":\"Alice's secret\",\"max_tokens\":3,\"temperature\":0}}\n";
            HttpResponse<String> uploaded = server.send(as("sk-alice", BatchesApiTest.upload(server, "alice.jsonl", "batch",
                    line.getBytes(StandardCharsets.UTF_8))));
            assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
            fileId = ServerFixture.parse(uploaded.body()).get("id").asText();

            assertThat(ids(get(server, "sk-alice", "/v1/files"))).contains(fileId);
            assertThat(ids(get(server, "sk-bob", "/v1/files"))).doesNotContain(fileId);
            assertThat(get(server, "sk-bob", "/v1/files/" + fileId).statusCode()).isEqualTo(404);
            assertThat(get(server, "sk-bob", "/v1/files/" + fileId + "/content").statusCode()).isEqualTo(404);
            HttpResponse<String> deleted = server.send(HttpRequest.newBuilder(server.uri("/v1/files/" + fileId))
                    .header("Authorization", "Bearer sk-bob").DELETE().build());
            assertThat(deleted.statusCode()).as("bob cannot delete it").isEqualTo(404);
            assertThat(get(server, "sk-alice", "/v1/files/" + fileId).statusCode()).as("still alice's").isEqualTo(200);

            String create = "{\"input_file_id\":\"" + fileId + "\",\"endpoint\":\"/v1/completions\","
                    + "\"completion_window\":\"24h\"}";
            HttpResponse<String> bobsRun = post(server, "sk-bob", "/v1/batches", create);
            assertThat(bobsRun.statusCode()).as("bob cannot run alice's file").isEqualTo(404);
            assertThat(ServerFixture.parse(bobsRun.body()).at("/error/param").asText()).isEqualTo("input_file_id");
            HttpResponse<String> created = post(server, "sk-alice", "/v1/batches", create);
            assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
            batchId = ServerFixture.parse(created.body()).get("id").asText();
            assertThat(get(server, "sk-bob", "/v1/batches/" + batchId).statusCode()).isEqualTo(404);
            assertThat(post(server, "sk-bob", "/v1/batches/" + batchId + "/cancel", "{}").statusCode()).isEqualTo(404);
            assertThat(ids(get(server, "sk-bob", "/v1/batches"))).doesNotContain(batchId);

            JsonNode done = ended(server, "sk-alice", "/v1/batches/" + batchId);
            assertThat(done.get("status").asText()).isEqualTo("completed");
            outputId = done.get("output_file_id").asText();
            assertThat(get(server, "sk-alice", "/v1/files/" + outputId + "/content").body()).contains("\"a1\"");
            assertThat(get(server, "sk-bob", "/v1/files/" + outputId + "/content").statusCode())
                    .as("alice's results are hers").isEqualTo(404);
            assertThat(ids(get(server, "sk-alice", "/v1/batches"))).contains(batchId);

            HttpResponse<String> messages = post(server, "sk-alice", "/v1/messages/batches", "{\"requests\":[{\"custom_id\":"
                    + "\"m1\",\"params\":{\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}}]}");
            assertThat(messages.statusCode()).as(messages.body()).isEqualTo(200);
            messageBatchId = ServerFixture.parse(messages.body()).get("id").asText();
            assertThat(get(server, "sk-bob", "/v1/messages/batches/" + messageBatchId).statusCode()).isEqualTo(404);
            assertThat(ids(get(server, "sk-bob", "/v1/messages/batches"))).doesNotContain(messageBatchId);
            ended(server, "sk-alice", "/v1/messages/batches/" + messageBatchId);
            assertThat(get(server, "sk-bob", "/v1/messages/batches/" + messageBatchId + "/results").statusCode())
                    .isEqualTo(404);
            assertThat(get(server, "sk-alice", "/v1/messages/batches/" + messageBatchId + "/results").body())
                    .contains("\"m1\"");
        }
        try (ServerFixture again = serve(files)) {
            assertThat(get(again, "sk-alice", "/v1/batches/" + batchId).statusCode()).as("alice's after a restart")
                    .isEqualTo(200);
            assertThat(get(again, "sk-bob", "/v1/batches/" + batchId).statusCode()).as("still not bob's").isEqualTo(404);
            assertThat(ids(get(again, "sk-bob", "/v1/batches"))).doesNotContain(batchId);
            assertThat(get(again, "sk-bob", "/v1/files/" + outputId + "/content").statusCode()).isEqualTo(404);
            assertThat(get(again, "sk-alice", "/v1/files/" + outputId + "/content").statusCode()).isEqualTo(200);
            assertThat(ids(get(again, "sk-bob", "/v1/files"))).doesNotContain(fileId).doesNotContain(outputId);
            assertThat(get(again, "sk-bob", "/v1/messages/batches/" + messageBatchId).statusCode()).isEqualTo(404);
        }
    }
}
