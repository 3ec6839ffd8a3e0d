package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.server.serving.ApiKeys;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kept responses and conversations belong to the key that made them, as files and batches do:
 * another key retrieving, deleting, cancelling, listing the input items of, continuing, streaming or
 * changing one gets the 404 of an id never made, while its own key reaches it as before.
 */
class ResponsesPerKeyTest {

    private static HttpResponse<String> as(ServerFixture server, String key, String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri(path)).header("Authorization", "Bearer " + key);
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        return server.send(b.build());
    }

    private static void notFound(HttpResponse<String> r, String code) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(404);
        assertThat(ServerFixture.parse(r.body()).at("/error/code").asText()).isEqualTo(code);
    }

    @Test
    void anotherKeyFindsNeitherAKeysResponsesNorItsConversations(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), "alice sk-alice\nbob sk-bob\n");
        try (ServerFixture server = ServerFixture.start(ServerFixture.engine(8, 0, 64), HttpServerConfig.loopback(0)
                .withApiKeys(ApiKeys.from(null, file)))) {
            HttpResponse<String> made = as(server, "sk-alice", "POST", "/v1/responses",
                    "{\"input\":\"The yard at dawn\",\"max_output_tokens\":3}");
            assertThat(made.statusCode()).as(made.body()).isEqualTo(200);
            String id = ServerFixture.parse(made.body()).get("id").asText();

            notFound(as(server, "sk-bob", "GET", "/v1/responses/" + id, null), "response_not_found");
            notFound(as(server, "sk-bob", "GET", "/v1/responses/" + id + "/input_items", null), "response_not_found");
            notFound(as(server, "sk-bob", "POST", "/v1/responses/" + id + "/cancel", null), "response_not_found");
            notFound(as(server, "sk-bob", "GET", "/v1/responses/" + id + "?stream=true", null), "response_not_found");
            notFound(as(server, "sk-bob", "DELETE", "/v1/responses/" + id, null), "response_not_found");
            notFound(as(server, "sk-bob", "POST", "/v1/responses", "{\"input\":\"and then?\",\"max_output_tokens\":2,"
                    + "\"previous_response_id\":\"" + id + "\"}"), "previous_response_not_found");
            assertThat(as(server, "sk-alice", "GET", "/v1/responses/" + id, null).statusCode())
                    .as("bob's delete took nothing").isEqualTo(200);
            assertThat(as(server, "sk-alice", "GET", "/v1/responses/" + id + "/input_items", null).statusCode())
                    .isEqualTo(200);
            HttpResponse<String> continued = as(server, "sk-alice", "POST", "/v1/responses",
                    "{\"input\":\"and then?\",\"max_output_tokens\":2,\"previous_response_id\":\"" + id + "\"}");
            assertThat(continued.statusCode()).as(continued.body()).isEqualTo(200);

            // a background response while it is being made
            HttpResponse<String> queued = as(server, "sk-alice", "POST", "/v1/responses",
                    "{\"input\":\"Hello\",\"background\":true,\"max_output_tokens\":200}");
            assertThat(queued.statusCode()).as(queued.body()).isEqualTo(200);
            String background = ServerFixture.parse(queued.body()).get("id").asText();
            notFound(as(server, "sk-bob", "POST", "/v1/responses/" + background + "/cancel", null), "response_not_found");
            notFound(as(server, "sk-bob", "GET", "/v1/responses/" + background, null), "response_not_found");
            JsonNode cancelled = ServerFixture.parse(as(server, "sk-alice", "POST", "/v1/responses/" + background
                    + "/cancel", null).body());
            assertThat(cancelled.get("id").asText()).isEqualTo(background);

            // conversations
            HttpResponse<String> conversation = as(server, "sk-alice", "POST", "/v1/conversations",
                    "{\"items\":[{\"type\":\"message\",\"role\":\"user\",\"content\":\"Which track?\"}]}");
            assertThat(conversation.statusCode()).as(conversation.body()).isEqualTo(200);
            String conv = ServerFixture.parse(conversation.body()).get("id").asText();
            notFound(as(server, "sk-bob", "GET", "/v1/conversations/" + conv, null), "conversation_not_found");
            notFound(as(server, "sk-bob", "GET", "/v1/conversations/" + conv + "/items", null), "conversation_not_found");
            notFound(as(server, "sk-bob", "POST", "/v1/conversations/" + conv + "/items",
                    "{\"items\":[{\"type\":\"message\",\"role\":\"user\",\"content\":\"Mine now\"}]}"),
                    "conversation_not_found");
            notFound(as(server, "sk-bob", "POST", "/v1/conversations/" + conv, "{\"metadata\":{\"a\":\"b\"}}"),
                    "conversation_not_found");
            notFound(as(server, "sk-bob", "DELETE", "/v1/conversations/" + conv, null), "conversation_not_found");
            notFound(as(server, "sk-bob", "POST", "/v1/responses", "{\"input\":\"Track 4\",\"max_output_tokens\":2,"
                    + "\"conversation\":\"" + conv + "\"}"), "conversation_not_found");
            JsonNode items = ServerFixture.parse(as(server, "sk-alice", "GET", "/v1/conversations/" + conv + "/items",
                    null).body());
            assertThat(items.get("data")).as("bob added nothing").hasSize(1);
            assertThat(as(server, "sk-alice", "POST", "/v1/responses", "{\"input\":\"Track 4\",\"max_output_tokens\":2,"
                    + "\"conversation\":\"" + conv + "\"}").statusCode()).isEqualTo(200);
        }
    }
}
