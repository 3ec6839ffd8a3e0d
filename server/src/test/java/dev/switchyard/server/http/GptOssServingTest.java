package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.cache.residency.ExpertMemory;
import dev.switchyard.engine.forward.ExpertOffload;
import dev.switchyard.server.TinyModelFile;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A gpt-oss-shaped model (a windowed block of 16 positions and a full one, sinks, biases, MXFP4
 * experts) serves replies that outgrow its window the same with its experts offloaded as in place,
 * the same streamed as not, and the same for a request alone as beside another in the batch.
 */
class GptOssServingTest {

    private static ServerFixture inPlace;
    private static ServerFixture offloaded;

    @BeforeAll
    static void start() throws Exception {
        inPlace = ServerFixture.serving(TinyModelFile.gptOss(), null);
        // 2 routed layers x 8 experts: 25% is 4 slots, where the cache must evict
        offloaded = ServerFixture.serving(TinyModelFile.gptOss(), new ExpertOffload(ExpertMemory.parse("25%"), 0,
                "combined", 1));
    }

    @AfterAll
    static void stop() {
        inPlace.close();
        offloaded.close();
    }

    private static String body(String prompt, String extra) {
        return "{\"model\":\"tiny\",\"prompt\":\"" + prompt + "\",\"max_tokens\":40,\"temperature\":0,"
                + "\"ignore_eos\":true,\"logprobs\":2" + extra + "}";
    }

    @Test
    void repliesPastTheWindowAreTheSameOffloadedStreamedAndBatched() {
        for (String prompt : new String[] {"The switchyard", "Once upon a time, in a yard of many tracks"}) {
            JsonNode expected = inPlace.ok("/v1/completions", body(prompt, "")).get("choices").get(0);
            assertThat(expected.get("logprobs").get("tokens")).as("more tokens than the window").hasSize(40);
            JsonNode actual = offloaded.ok("/v1/completions", body(prompt, "")).get("choices").get(0);
            assertThat(actual.get("text").asText()).as(prompt).isEqualTo(expected.get("text").asText());
            assertThat(actual.get("logprobs")).as(prompt).isEqualTo(expected.get("logprobs"));
            List<JsonNode> chunks = inPlace.stream("/v1/completions", body(prompt, ",\"stream\":true"));
            StringBuilder streamed = new StringBuilder();
            for (JsonNode c : chunks) {
                if (c.has("choices") && !c.get("choices").isEmpty()) {
                    streamed.append(c.get("choices").get(0).path("text").asText());
                }
            }
            assertThat(streamed.toString()).as(prompt + ", streamed").isEqualTo(expected.get("text").asText());
        }
        // two prompts in one request run as two sequences of one batch
        String both = "{\"model\":\"tiny\",\"prompt\":[\"The switchyard\",\"Once upon a time, in a yard of many tracks\"],"
                + "\"max_tokens\":40,\"temperature\":0,\"ignore_eos\":true}";
        JsonNode batched = inPlace.ok("/v1/completions", both).get("choices");
        assertThat(batched.get(0).get("text").asText())
                .isEqualTo(inPlace.ok("/v1/completions", body("The switchyard", "")).get("choices").get(0).get("text")
                        .asText());
        assertThat(batched.get(1).get("text").asText()).isEqualTo(inPlace.ok("/v1/completions",
                body("Once upon a time, in a yard of many tracks", "")).get("choices").get(0).get("text").asText());
    }
}
