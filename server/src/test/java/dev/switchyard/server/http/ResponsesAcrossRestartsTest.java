package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With {@code --responses-dir}, what the Responses and Conversations APIs keep outlives a restart: a
 * client's next turn names the previous response by id and is answered as it would have been
 * without the restart, and a conversation reads back with its items.
 */
class ResponsesAcrossRestartsTest {

    private static ServerFixture serve(Path dir) throws Exception {
        return ServerFixture.start(ServerFixture.engine(8, 0, 64), HttpServerConfig.loopback(0).withResponsesDir(dir));
    }

    private static final String NEXT = "\"input\":\"And then?\",\"max_output_tokens\":6,\"temperature\":0,"
            + "\"ignore_eos\":true}";

    @Test
    void aChainOfResponsesAndAConversationGoOnAfterARestart(@TempDir Path dir) throws Exception {
        JsonNode first;
        JsonNode conversation;
        JsonNode expected;
        try (ServerFixture before = serve(dir)) {
            first = before.ok("/v1/responses", "{\"input\":\"Hello there\",\"max_output_tokens\":5,\"temperature\":0,"
                    + "\"ignore_eos\":true}");
            conversation = before.ok("/v1/conversations", "{\"metadata\":{\"topic\":\"trains\"},"
                    + "\"items\":[{\"role\":\"user\",\"content\":\"Hello there\"}]}");
            // the turn as it is answered without a restart, for comparison
            expected = before.ok("/v1/responses", "{\"previous_response_id\":\"" + first.get("id").asText() + "\","
                    + NEXT);
        }
        try (ServerFixture after = serve(dir)) {
            String id = first.get("id").asText();
            assertThat(ServerFixture.parse(after.get("/v1/responses/" + id).body())).isEqualTo(first);
            JsonNode next = after.ok("/v1/responses", "{\"previous_response_id\":\"" + id + "\"," + NEXT);
            assertThat(next.at("/usage/input_tokens").asInt()).isEqualTo(expected.at("/usage/input_tokens").asInt());
            assertThat(next.at("/output/0/content/0/text").asText())
                    .isEqualTo(expected.at("/output/0/content/0/text").asText());
            String conv = conversation.get("id").asText();
            assertThat(ServerFixture.parse(after.get("/v1/conversations/" + conv).body())).isEqualTo(conversation);
            assertThat(ServerFixture.parse(after.get("/v1/conversations/" + conv + "/items").body()).at("/data/0/content/0/text")
                    .asText()).isEqualTo("Hello there");
        }
        try (ServerFixture memoryOnly = ServerFixture.start(ServerFixture.engine(8, 0, 64), HttpServerConfig.loopback(0))) {
            assertThat(memoryOnly.get("/v1/responses/" + first.get("id").asText()).statusCode())
                    .as("without the directory, nothing outlives the server").isEqualTo(404);
        }
    }
}
