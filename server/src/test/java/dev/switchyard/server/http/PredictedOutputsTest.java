package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OpenAI's Predicted Outputs ({@code prediction}) over HTTP: a reply is the same with a prediction
 * as without, whole and streamed, for chat and completions, greedy and sampled with n choices; the
 * tokens proposed from it that were kept and refused come back in
 * {@code usage.completion_tokens_details}; a malformed prediction is a 400 naming the field.
 */
class PredictedOutputsTest {

    private static ServerFixture server;

    @BeforeAll
    static void start() throws Exception {
        server = ServerFixture.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String chat(String extra) {
        return "{\"messages\":[{\"role\":\"user\",\"content\":\"Rewrite the yard's timetable\"}],\"max_tokens\":40,"
                + "\"ignore_eos\":true" + extra + "}";
    }

    private static String prediction(String content) {
        ObjectNode p = JsonNodeFactory.instance.objectNode().put("type", "content").put("content", content);
        return ",\"prediction\":" + p;
    }

    @Test
    void aChatReplyIsTheSameWithItsPredictionAndCountsWhatWasKept() {
        JsonNode plain = server.ok("/v1/chat/completions", chat(",\"temperature\":0"));
        String reply = plain.at("/choices/0/message/content").asText();
        assertThat(plain.at("/usage/completion_tokens_details").isMissingNode()).as("no prediction, no details").isTrue();

        JsonNode predicted = server.ok("/v1/chat/completions", chat(",\"temperature\":0" + prediction(reply)));
        assertThat(predicted.get("choices")).isEqualTo(plain.get("choices"));
        JsonNode details = predicted.at("/usage/completion_tokens_details");
        int accepted = details.get("accepted_prediction_tokens").asInt();
        int rejected = details.get("rejected_prediction_tokens").asInt();
        // a random model's reply holds bytes that are no whole characters, so its text tokenized again
        // is not all of its tokens; what matches is proposed and kept
        assertThat(accepted).as("the reply, predicted, is proposed and kept").isPositive();
        assertThat(rejected).isNotNegative();
        assertThat(predicted.at("/usage/completion_tokens").asInt()).isEqualTo(plain.at("/usage/completion_tokens").asInt());

        // streamed, with usage at the end
        String streamed = chat(",\"temperature\":0,\"stream\":true,\"stream_options\":{\"include_usage\":true}"
                + prediction(reply));
        List<JsonNode> chunks = server.stream("/v1/chat/completions", streamed);
        StringBuilder text = new StringBuilder();
        for (JsonNode c : chunks) {
            if (c.has("choices") && !c.get("choices").isEmpty()) {
                text.append(c.at("/choices/0/delta/content").asText(""));
            }
        }
        assertThat(text.toString()).isEqualTo(reply);
        assertThat(chunks.getLast().at("/usage/completion_tokens_details/accepted_prediction_tokens").asInt())
                .isEqualTo(accepted);

        // a prediction with nothing to do with the reply changes nothing either
        JsonNode wrong = server.ok("/v1/chat/completions", chat(",\"temperature\":0"
                + prediction("Completely unrelated words about ships and harbours and the open sea.")));
        assertThat(wrong.get("choices")).isEqualTo(plain.get("choices"));
    }

    @Test
    void sampledChoicesAndCompletionsAreTheSameWithAPredictionInParts() {
        String body = "{\"prompt\":\"The yard at night\",\"max_tokens\":32,\"ignore_eos\":true,\"temperature\":0.9,"
                + "\"seed\":5,\"n\":3,\"logprobs\":1";
        JsonNode plain = server.ok("/v1/completions", body + "}");
        String first = plain.at("/choices/0/text").asText();
        String half = first.substring(0, first.length() / 2);
        JsonNode predicted = server.ok("/v1/completions", body + ",\"prediction\":{\"type\":\"content\",\"content\":["
                + "{\"type\":\"text\",\"text\":" + JsonNodeFactory.instance.textNode(half) + "},"
                + "{\"type\":\"text\",\"text\":" + JsonNodeFactory.instance.textNode(first.substring(half.length())) + "}]}}");
        assertThat(predicted.get("choices")).isEqualTo(plain.get("choices"));
        assertThat(predicted.at("/usage/completion_tokens_details/accepted_prediction_tokens").asInt()).isPositive();
    }

    @Test
    void aMalformedPredictionIsRefusedNamingTheField() {
        for (String[] bad : new String[][] {
                {",\"prediction\":\"text\"", "prediction"},
                {",\"prediction\":{\"type\":\"text\",\"content\":\"x\"}", "prediction.type"},
                {",\"prediction\":{\"type\":\"content\",\"content\":7}", "prediction.content"},
                {",\"prediction\":{\"type\":\"content\",\"content\":[{\"type\":\"image_url\"}]}", "prediction.content[0]"}}) {
            HttpResponse<String> r = server.post("/v1/chat/completions", chat(bad[0]));
            assertThat(r.statusCode()).as(bad[0]).isEqualTo(400);
            assertThat(ServerFixture.parse(r.body()).at("/error/param").asText()).as(bad[0]).isEqualTo(bad[1]);
        }
    }
}
