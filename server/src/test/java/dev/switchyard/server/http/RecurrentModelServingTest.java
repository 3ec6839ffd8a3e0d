package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.server.TinyModelFile;
import dev.switchyard.server.serving.EngineConfig;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Models whose blocks carry a state per sequence (Qwen3.5-MoE-, Granite-4.0-H- and Nemotron-H-shaped) served
 * over HTTP: a chat's next turn takes the first turn's prompt from the prefix cache with its saved
 * state and answers exactly as a server keeping no states, which computes every turn whole; a
 * predicted output is accepted and goes unused.
 */
class RecurrentModelServingTest {

    private static final String SYSTEM = "You keep the yard's timetable. Answer in one short line, and name the track. ";

    private static String turn(String firstReply) {
        String first = "{\"role\":\"system\",\"content\":\"" + SYSTEM.repeat(3) + "\"},"
                + "{\"role\":\"user\",\"content\":\"When does the night train leave?\"}";
        String messages = firstReply == null ? first : first + ",{\"role\":\"assistant\",\"content\":"
                + ServerFixture.JSON.valueToTree(firstReply) + "},{\"role\":\"user\",\"content\":\"And the first one?\"}";
        return "{\"messages\":[" + messages + "],\"max_tokens\":8,\"temperature\":0,\"logprobs\":true,\"top_logprobs\":2}";
    }

    private static JsonNode chat(ServerFixture server, String body) {
        HttpResponse<String> r = server.post("/v1/chat/completions", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return ServerFixture.parse(r.body());
    }

    private static EngineConfig engine(int checkpoints) {
        return ServerFixture.engine(4, 0, 16).withStateCheckpoints(checkpoints);
    }

    /**
     * 1 where a reply's generation filled a block of 16 positions (its state is then saved), else 0:
     * it computed the prompt's positions and all but its last token's.
     */
    private static int fillsABlock(JsonNode reply) {
        int prompt = reply.at("/usage/prompt_tokens").asInt();
        int computed = prompt + reply.at("/usage/completion_tokens").asInt() - 1;
        return computed / 16 > prompt / 16 ? 1 : 0;
    }

    static java.util.stream.Stream<Path> models() {
        return java.util.stream.Stream.of(TinyModelFile.qwen35Moe(), TinyModelFile.graniteHybrid(),
                TinyModelFile.nemotronHMoe(), TinyModelFile.kimiLinear());
    }

    @ParameterizedTest
    @MethodSource("models")
    void aChatsNextTurnGoesOnFromTheFirstTurnsSavedStateAndAnswersAsWithout(Path model) throws Exception {
        JsonNode first;
        JsonNode second;
        try (ServerFixture server = ServerFixture.servingWith(model, engine(8))) {
            first = chat(server, turn(null));
            assertThat(first.at("/usage/prompt_tokens_details/cached_tokens").asInt()).isZero();
            second = chat(server, turn(first.at("/choices/0/message/content").asText()));
            int cached = second.at("/usage/prompt_tokens_details/cached_tokens").asInt();
            int firstPrompt = first.at("/usage/prompt_tokens").asInt();
            assertThat(cached).as("the first prompt's whole blocks").isEqualTo((firstPrompt - 1) / 16 * 16).isPositive();
            String metrics = server.get("/metrics").body();
            // the two prompts' (at their last whole blocks), and each reply's where it filled a block
            int saved = 2 + fillsABlock(first) + fillsABlock(second);
            assertThat(fillsABlock(first)).as("the first reply fills the first prompt's last block").isOne();
            assertThat(metrics).contains("switchyard_state_checkpoints_capacity{model=\"tiny\"} 8.0")
                    .contains("switchyard_state_checkpoints_restored_total{model=\"tiny\"} 1.0")
                    .contains("switchyard_state_checkpoints_saved_total{model=\"tiny\"} " + saved + ".0");
        }
        try (ServerFixture server = ServerFixture.servingWith(model, engine(0))) {
            JsonNode whole = chat(server, turn(first.at("/choices/0/message/content").asText()));
            assertThat(whole.at("/usage/prompt_tokens_details/cached_tokens").asInt()).as("nothing kept").isZero();
            assertThat(second.at("/choices/0/message/content").asText())
                    .isEqualTo(whole.at("/choices/0/message/content").asText());
            assertThat(second.at("/choices/0/logprobs")).isEqualTo(whole.at("/choices/0/logprobs"));
        }
    }

    @Test
    void aPredictedOutputIsAcceptedAndGoesUnused() throws Exception {
        try (ServerFixture server = ServerFixture.servingWith(TinyModelFile.qwen35Moe(), engine(8))) {
            JsonNode plain = chat(server, turn(null));
            String content = plain.at("/choices/0/message/content").asText();
            String body = turn(null).replace("\"max_tokens\":8", "\"max_tokens\":8,\"prediction\":{\"type\":\"content\","
                    + "\"content\":" + ServerFixture.JSON.valueToTree(content) + "}");
            JsonNode predicted = chat(server, body);
            assertThat(predicted.at("/choices/0/message/content").asText()).isEqualTo(content);
            assertThat(predicted.at("/usage/completion_tokens_details/accepted_prediction_tokens").asInt()).isZero();
        }
    }
}
