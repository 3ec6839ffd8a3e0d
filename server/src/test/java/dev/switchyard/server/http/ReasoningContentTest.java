package dev.switchyard.server.http;

import static dev.switchyard.server.ThinkingModelFile.MAX_TOKENS;
import static dev.switchyard.server.ThinkingModelFile.MESSAGES_JSON;
import static dev.switchyard.server.http.ServerFixture.finishReason;
import static dev.switchyard.server.http.ServerFixture.streamedText;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchyard.server.ThinkingModelFile;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Chat replies of a model that thinks ({@link ThinkingModelFile}: its template opens {@code <think>}
 * in the generation prompt, and its greedy reply holds a {@code </think>}) come back with the
 * reasoning in {@code reasoning_content} and the answer in {@code content}, streamed or not; with
 * {@code reasoning_format: none} they come back as generated.
 */
class ReasoningContentTest {

    private static ServerFixture server;
    /** The reply as generated, all in content; and its two parts, as the server should return them. */
    private static String raw;
    private static String reasoning;
    private static String answer;

    @BeforeAll
    static void start() throws Exception {
        server = ServerFixture.serving(ThinkingModelFile.path(), null);
        raw = server.ok("/v1/chat/completions", chat(",\"reasoning_format\":\"none\""))
                .at("/choices/0/message/content").asText();
        int close = raw.indexOf("</think>");
        assertThat(close).as("the reply closes its thinking: %s", raw).isPositive();
        reasoning = raw.substring(0, close).stripLeading();
        answer = raw.substring(close + "</think>".length()).stripLeading();
        assertThat(reasoning).isNotEmpty();
        assertThat(answer).isNotEmpty();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String chat(String extra) {
        return "{\"messages\":" + MESSAGES_JSON + ",\"max_tokens\":" + MAX_TOKENS
                + ",\"temperature\":0,\"ignore_eos\":true" + extra + "}";
    }

    @Test
    void chatRepliesReturnTheReasoningApartFromTheAnswer() {
        JsonNode r = server.ok("/v1/chat/completions", chat(",\"n\":2"));
        assertThat(r.get("choices")).hasSize(2);
        for (JsonNode choice : r.get("choices")) {
            JsonNode message = choice.get("message");
            assertThat(message.get("role").asText()).isEqualTo("assistant");
            assertThat(message.get("reasoning_content").asText()).isEqualTo(reasoning);
            assertThat(message.get("content").asText()).isEqualTo(answer);
            assertThat(choice.get("finish_reason").asText()).isEqualTo("length");
        }
        assertThat(r.at("/usage/completion_tokens").asInt()).as("every generated token counts").isEqualTo(2 * MAX_TOKENS);
    }

    @Test
    void aThinkingTokenBudgetClosesTheThinkingForTheModel() {
        for (int budget : new int[] {0, 2}) {
            JsonNode message = server.ok("/v1/chat/completions", chat(",\"thinking_token_budget\":" + budget))
                    .at("/choices/0/message");
            String thought = message.path("reasoning_content").asText(""); // none at all with a budget of 0
            assertThat(reasoning).as("the same first tokens, greedy").startsWith(thought.strip());
            assertThat(thought.length()).as("cut short").isLessThan(reasoning.length());
            assertThat(message.get("content").asText()).as("an answer follows").isNotEmpty();
        }
        JsonNode unlimited = server.ok("/v1/chat/completions", chat(",\"thinking_token_budget\":" + MAX_TOKENS))
                .at("/choices/0/message");
        assertThat(unlimited.get("reasoning_content").asText()).as("a budget not reached changes nothing")
                .isEqualTo(reasoning);
        assertThat(server.post("/v1/chat/completions", chat(",\"thinking_token_budget\":-1")).statusCode())
                .isEqualTo(400);
    }

    @Test
    void streamedDeltasCarryTheReasoningAndThenTheAnswer() {
        List<JsonNode> chunks = server.stream("/v1/chat/completions",
                chat(",\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
        StringBuilder streamedReasoning = new StringBuilder();
        boolean answering = false;
        for (JsonNode chunk : chunks) {
            for (JsonNode choice : chunk.path("choices")) {
                JsonNode delta = choice.get("delta");
                if (delta.has("reasoning_content")) {
                    assertThat(answering).as("no reasoning after the answer began: %s", chunk).isFalse();
                    streamedReasoning.append(delta.get("reasoning_content").asText());
                }
                answering |= !delta.path("content").asText().isEmpty();
            }
        }
        assertThat(streamedReasoning.toString()).isEqualTo(reasoning);
        assertThat(streamedText(chunks, 0)).isEqualTo(answer);
        assertThat(finishReason(chunks, 0)).isEqualTo("length");
        assertThat(chunks.getLast().at("/usage/completion_tokens").asInt()).isEqualTo(MAX_TOKENS);
    }

    @Test
    void logprobsStayOnePerGeneratedTokenMarkersIncluded() {
        JsonNode r = server.ok("/v1/chat/completions", chat(",\"logprobs\":true,\"top_logprobs\":1"));
        JsonNode tokens = r.at("/choices/0/logprobs/content");
        assertThat(tokens).hasSize(MAX_TOKENS);
        assertThat(tokens.findValuesAsText("token")).contains("</think>");
        List<JsonNode> chunks = server.stream("/v1/chat/completions", chat(",\"stream\":true,\"logprobs\":true"));
        int streamed = 0;
        for (JsonNode chunk : chunks) {
            for (JsonNode choice : chunk.path("choices")) {
                streamed += choice.at("/logprobs/content").size();
            }
        }
        assertThat(streamed).isEqualTo(MAX_TOKENS);
    }

    @Test
    void stopStringsEndTheAnswerButNotTheReasoning() {
        String inReasoning = null;
        for (int length = 1; length <= 3 && inReasoning == null; length++) {
            for (int i = 0; i + length <= reasoning.length() && inReasoning == null; i++) {
                String s = reasoning.substring(i, i + length);
                if (!answer.contains(s) && !s.isBlank()) {
                    inReasoning = s;
                }
            }
        }
        assertThat(inReasoning).as("a piece of the reasoning that the answer lacks: [%s] [%s]", reasoning, answer)
                .isNotNull();
        JsonNode thinkingOn = server.ok("/v1/chat/completions",
                chat(",\"stop\":" + ServerFixture.JSON.valueToTree(inReasoning)));
        assertThat(thinkingOn.at("/choices/0/message/reasoning_content").asText()).isEqualTo(reasoning);
        assertThat(thinkingOn.at("/choices/0/message/content").asText()).isEqualTo(answer);
        assertThat(thinkingOn.at("/choices/0/finish_reason").asText()).isEqualTo("length");

        String inAnswer = answer.substring(answer.length() / 2, answer.length() / 2 + 2);
        JsonNode stopped = server.ok("/v1/chat/completions", chat(",\"stop\":" + ServerFixture.JSON.valueToTree(inAnswer)));
        assertThat(stopped.at("/choices/0/message/reasoning_content").asText()).isEqualTo(reasoning);
        assertThat(stopped.at("/choices/0/message/content").asText()).isEqualTo(answer.substring(0, answer.indexOf(inAnswer)));
        assertThat(stopped.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void reasoningFormatNoneReturnsTheReplyAsGenerated() {
        JsonNode r = server.ok("/v1/chat/completions", chat(",\"reasoning_format\":\"none\",\"n\":2"));
        for (JsonNode choice : r.get("choices")) {
            assertThat(choice.get("message").has("reasoning_content")).isFalse();
            assertThat(choice.at("/message/content").asText()).isEqualTo(raw).contains("</think>");
        }
        List<JsonNode> chunks = server.stream("/v1/chat/completions", chat(",\"reasoning_format\":\"none\",\"stream\":true"));
        assertThat(streamedText(chunks, 0)).isEqualTo(raw);
        assertThat(chunks).noneMatch(c -> c.at("/choices/0/delta").has("reasoning_content"));
    }

    @Test
    void textCompletionsAreNeverSplit() {
        // the chat prompt's own tokens, through /v1/completions: the same reply, as generated
        JsonNode ids = server.ok("/tokenize", "{\"messages\":" + MESSAGES_JSON + "}").get("tokens");
        ObjectNode body = ServerFixture.JSON.createObjectNode();
        body.set("prompt", ids);
        body.put("max_tokens", MAX_TOKENS).put("temperature", 0).put("ignore_eos", true);
        JsonNode completion = server.ok("/v1/completions", body.toString());
        assertThat(completion.at("/choices/0/text").asText()).isEqualTo(raw);
        assertThat(completion.at("/choices/0").has("reasoning_content")).isFalse();
    }

    @Test
    void aReasoningFormatOtherThanAutoOrNoneIsRefused() {
        HttpResponse<String> r = server.post("/v1/chat/completions", chat(",\"reasoning_format\":\"deepseek-legacy\""));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(ServerFixture.parse(r.body()).at("/error/param").asText()).isEqualTo("reasoning_format");
        HttpResponse<String> notText = server.post("/v1/chat/completions", chat(",\"reasoning_format\":1"));
        assertThat(notText.statusCode()).isEqualTo(400);
    }

    @Test
    void aModelWithoutReasoningMarkersAnswersExactlyAsBefore() throws Exception {
        try (ServerFixture plain = ServerFixture.start()) {
            String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"}],\"max_tokens\":12,"
                    + "\"temperature\":0,\"ignore_eos\":true,\"logprobs\":true";
            JsonNode auto = plain.ok("/v1/chat/completions", body + "}");
            JsonNode none = plain.ok("/v1/chat/completions", body + ",\"reasoning_format\":\"none\"}");
            assertThat(auto.get("choices")).isEqualTo(none.get("choices"));
            assertThat(auto.at("/choices/0/message").has("reasoning_content")).isFalse();
            List<JsonNode> streamedAuto = plain.stream("/v1/chat/completions", body + ",\"stream\":true}");
            List<JsonNode> streamedNone = plain.stream("/v1/chat/completions",
                    body + ",\"stream\":true,\"reasoning_format\":\"none\"}");
            assertThat(streamedAuto.stream().map(c -> c.get("choices")).toList())
                    .isEqualTo(streamedNone.stream().map(c -> c.get("choices")).toList());
            assertThat(streamedText(streamedAuto, 0)).isEqualTo(auto.at("/choices/0/message/content").asText());
        }
    }

    @Test
    void toolsAreRefusedForAModelWhoseTemplateWritesNoCalls() {
        var r = server.post("/v1/chat/completions", chat(",\"tools\":[{\"type\":\"function\",\"function\":"
                + "{\"name\":\"get_weather\"}}]"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        JsonNode error = ServerFixture.parse(r.body()).get("error");
        assertThat(error.get("param").asText()).isEqualTo("tools");
        assertThat(error.get("message").asText()).contains("writes tool calls in no form");
        JsonNode none = server.ok("/v1/chat/completions", chat(",\"tools\":[{\"type\":\"function\",\"function\":"
                + "{\"name\":\"get_weather\"}}],\"tool_choice\":\"none\""));
        assertThat(none.at("/choices/0/message/content").asText()).as("tool_choice none asks for no calls").isNotEmpty();
    }

    @Test
    void aSchemaHoldsTheAnswerOnlyTheReasoningBeforeItRunsFree() {
        String format = ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"w\",\"schema\":"
                + "{\"type\":\"object\",\"properties\":{\"sunny\":{\"type\":\"boolean\"}},\"required\":[\"sunny\"],"
                + "\"additionalProperties\":false}}}";
        JsonNode r = server.ok("/v1/chat/completions", "{\"messages\":" + MESSAGES_JSON
                + ",\"max_tokens\":200,\"temperature\":0" + format + "}");
        JsonNode message = r.at("/choices/0/message");
        assertThat(message.get("reasoning_content").asText()).as("the thinking is what the model wrote unheld")
                .isEqualTo(reasoning);
        assertThat(ServerFixture.parse(message.get("content").asText()).get("sunny").isBoolean()).isTrue();
        assertThat(r.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    }
}
