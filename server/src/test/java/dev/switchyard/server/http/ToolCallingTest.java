package dev.switchyard.server.http;

import static dev.switchyard.server.ToolCallingModelFile.ARGUMENTS;
import static dev.switchyard.server.ToolCallingModelFile.MAX_TOKENS;
import static dev.switchyard.server.ToolCallingModelFile.MESSAGES_JSON;
import static dev.switchyard.server.ToolCallingModelFile.TOOLS_JSON;
import static dev.switchyard.server.http.ServerFixture.finishReason;
import static dev.switchyard.server.http.ServerFixture.streamedText;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.server.ToolCallingModelFile;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Chat requests with tools to a model whose greedy reply calls one ({@link ToolCallingModelFile}):
 * the call comes back in {@code tool_calls}, apart from the content, streamed or not, and a reply
 * that ends after calling ends for {@code tool_calls}, as OpenAI's API returns them.
 */
class ToolCallingTest {

    private static ServerFixture server;

    @BeforeAll
    static void start() throws Exception {
        server = ServerFixture.serving(ToolCallingModelFile.path(), null);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String chat(String extra) {
        return "{\"messages\":" + MESSAGES_JSON + ",\"tools\":" + TOOLS_JSON + ",\"max_tokens\":" + MAX_TOKENS
                + ",\"temperature\":0,\"ignore_eos\":true" + extra + "}";
    }

    private static String stoppingAfterTheCall(String extra) {
        return chat(",\"stop_token_ids\":[" + ToolCallingModelFile.tokenAfterTheCall() + "]" + extra);
    }

    private static void assertTheCall(JsonNode call) {
        assertThat(call.get("id").asText()).matches("call_[A-Za-z0-9]{24}");
        assertThat(call.get("type").asText()).isEqualTo("function");
        assertThat(call.at("/function/name").asText()).isEqualTo("get_weather");
        assertThat(ServerFixture.parse(call.at("/function/arguments").asText())).isEqualTo(ServerFixture.parse(ARGUMENTS));
    }

    @Test
    void aCallInTheReplyComesBackAsToolCallsApartFromTheContent() {
        JsonNode message = server.ok("/v1/chat/completions", chat("")).at("/choices/0/message");
        assertThat(message.get("tool_calls")).hasSize(1);
        assertTheCall(message.get("tool_calls").get(0));
        assertThat(message.get("content").asText()).isNotBlank().doesNotContain("tool_call").doesNotContain("get_weather");
    }

    @Test
    void aReplyThatEndsAfterItsCallFinishesForToolCalls() {
        JsonNode r = server.ok("/v1/chat/completions", stoppingAfterTheCall(""));
        assertThat(r.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
        assertTheCall(r.at("/choices/0/message/tool_calls/0"));
        JsonNode cut = server.ok("/v1/chat/completions", chat(""));
        assertThat(cut.at("/choices/0/finish_reason").asText()).as("max_tokens still ends for length")
                .isEqualTo("length");
    }

    @Test
    void streamedCallsArriveWholeWithTheirIndexAndTheSameContent() {
        JsonNode whole = server.ok("/v1/chat/completions", stoppingAfterTheCall("")).at("/choices/0/message");
        List<JsonNode> chunks = server.stream("/v1/chat/completions", stoppingAfterTheCall(",\"stream\":true"));
        List<JsonNode> calls = new ArrayList<>();
        for (JsonNode chunk : chunks) {
            for (JsonNode choice : chunk.path("choices")) {
                choice.at("/delta/tool_calls").forEach(calls::add);
            }
        }
        assertThat(calls).hasSize(1);
        assertThat(calls.getFirst().get("index").asInt()).isZero();
        assertTheCall(calls.getFirst());
        assertThat(streamedText(chunks, 0)).isEqualTo(whole.get("content").asText());
        assertThat(finishReason(chunks, 0)).isEqualTo("tool_calls");
    }

    @Test
    void withoutParallelCallsTheReplyEndsAtItsFirstCall() {
        JsonNode r = server.ok("/v1/chat/completions", chat(",\"parallel_tool_calls\":false"));
        assertThat(r.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
        assertTheCall(r.at("/choices/0/message/tool_calls/0"));
        JsonNode stopped = server.ok("/v1/chat/completions", stoppingAfterTheCall(""));
        assertThat(r.at("/usage/completion_tokens").asInt()).as("no token after the call's last")
                .isEqualTo(stopped.at("/usage/completion_tokens").asInt() - 1);
    }

    @Test
    void callsAreCountedInTheMetrics() {
        server.ok("/v1/chat/completions", stoppingAfterTheCall(""));
        String metrics = server.get("/metrics").body();
        assertThat(metrics.lines().filter(l -> l.startsWith("switchyard_tool_calls_total{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum()).isPositive();
    }

    @Test
    void everyChoiceHasItsOwnCallId() {
        JsonNode r = server.ok("/v1/chat/completions", stoppingAfterTheCall(",\"n\":2"));
        JsonNode first = r.at("/choices/0/message/tool_calls/0");
        JsonNode second = r.at("/choices/1/message/tool_calls/0");
        assertTheCall(first);
        assertTheCall(second);
        assertThat(first.get("id").asText()).isNotEqualTo(second.get("id").asText());
    }

    @Test
    void toolChoiceNoneLeavesTheToolsOutOfThePromptAndTheReply() {
        JsonNode offered = server.ok("/v1/chat/completions", chat(""));
        JsonNode none = server.ok("/v1/chat/completions", chat(",\"tool_choice\":\"none\""));
        assertThat(none.at("/usage/prompt_tokens").asInt()).isLessThan(offered.at("/usage/prompt_tokens").asInt());
        assertThat(none.at("/choices/0/message").has("tool_calls")).isFalse();
    }

    @Test
    void theNextTurnTakesTheCallAndItsResult() {
        String messages = "[{\"role\":\"user\",\"content\":\"" + ToolCallingModelFile.QUESTION + "\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\": \\\"Paris\\\"}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"18 C and sunny\"}]";
        JsonNode r = server.ok("/v1/chat/completions", "{\"messages\":" + messages + ",\"tools\":" + TOOLS_JSON
                + ",\"max_tokens\":4,\"temperature\":0}");
        JsonNode first = server.ok("/v1/chat/completions", chat(""));
        assertThat(r.at("/usage/prompt_tokens").asInt()).as("the call and its result are in the prompt")
                .isGreaterThan(first.at("/usage/prompt_tokens").asInt() + 10);
    }

    /** A second tool whose arguments can only be one of two words: a forced call to it always ends. */
    private static final String SET_UNIT = "{\"type\":\"function\",\"function\":{\"name\":\"set_unit\","
            + "\"strict\":true,\"parameters\":{\"type\":\"object\",\"properties\":{\"unit\":{\"enum\":"
            + "[\"celsius\",\"fahrenheit\"]}},\"required\":[\"unit\"],\"additionalProperties\":false}}}";

    private static String forced(String toolChoice, String extra) {
        return "{\"messages\":" + MESSAGES_JSON + ",\"tools\":[" + TOOLS_JSON.substring(1, TOOLS_JSON.length() - 1)
                + "," + SET_UNIT + "],\"tool_choice\":" + toolChoice + ",\"max_tokens\":200" + extra + "}";
    }

    @Test
    void aNamedToolChoiceMakesEveryReplyThatCallHeldToItsSchema() {
        for (String sampling : List.of(",\"temperature\":0", ",\"temperature\":1.3,\"seed\":5,\"n\":3")) {
            JsonNode r = server.ok("/v1/chat/completions", forced("{\"type\":\"function\",\"function\":"
                    + "{\"name\":\"set_unit\"}}", sampling));
            for (JsonNode choice : r.get("choices")) {
                JsonNode message = choice.get("message");
                assertThat(message.get("tool_calls")).as(message.toString()).hasSize(1);
                JsonNode call = message.at("/tool_calls/0/function");
                assertThat(call.get("name").asText()).isEqualTo("set_unit");
                assertThat(ServerFixture.parse(call.get("arguments").asText()).get("unit").asText())
                        .isIn("celsius", "fahrenheit");
                assertThat(message.get("content").isNull()).as("a forced call is the whole reply").isTrue();
                assertThat(choice.get("finish_reason").asText()).isEqualTo("tool_calls");
            }
        }
    }

    @Test
    void requiredMakesTheReplyCallOneOfTheTools() {
        JsonNode r = server.ok("/v1/chat/completions", forced("\"required\"", ",\"temperature\":0,\"max_tokens\":400"));
        JsonNode choice = r.at("/choices/0");
        if (choice.get("finish_reason").asText().equals("length")) {
            // the arguments (any object) may run on in a string; what was written is still the call's start
            assertThat(choice.at("/message/content").asText()).startsWith("<tool_call>\n{\"name\": \"");
            return;
        }
        assertThat(choice.at("/message/tool_calls/0/function/name").asText()).isIn("get_weather", "set_unit");
        assertThat(choice.get("finish_reason").asText()).isEqualTo("tool_calls");
    }

    @Test
    void aStrictToolWhoseSchemaCannotBeHeldIsRefusedWhenNamed() {
        String strict = "{\"type\":\"function\",\"function\":{\"name\":\"pick\",\"strict\":true,\"parameters\":"
                + "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"number\",\"minimum\":1}}}}}";
        var r = server.post("/v1/chat/completions", "{\"messages\":" + MESSAGES_JSON + ",\"tools\":[" + strict
                + "],\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"pick\"}}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        JsonNode error = ServerFixture.parse(r.body()).get("error");
        assertThat(error.get("param").asText()).isEqualTo("tools[0].function.parameters");
        assertThat(error.get("message").asText()).contains("'minimum'");
    }
}
