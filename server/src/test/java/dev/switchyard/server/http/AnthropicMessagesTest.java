package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.server.ThinkingModelFile;
import dev.switchyard.server.ToolCallingModelFile;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/messages}, Anthropic's Messages API: the same conversation answers as chat
 * completions does; thinking, the answer and tool calls come back as content blocks; the stream is
 * the API's events in its order, building exactly the message that comes back unstreamed; stop
 * sequences are named; a final assistant message is continued; {@code count_tokens} counts the
 * prompt; errors come in that API's shape, and {@code x-api-key} is a key.
 */
class AnthropicMessagesTest {

    private static ServerFixture tiny;
    private static ServerFixture thinking;
    private static ServerFixture tools;

    @BeforeAll
    static void start() throws Exception {
        tiny = ServerFixture.start();
        thinking = ServerFixture.serving(ThinkingModelFile.path(), null);
        tools = ServerFixture.serving(ToolCallingModelFile.path(), null);
    }

    @AfterAll
    static void stop() {
        tiny.close();
        thinking.close();
        tools.close();
    }

    private static final String GREETING = "\"system\":\"Be brief.\",\"messages\":[{\"role\":\"user\",\"content\":"
            + "\"Hello there\"}],\"max_tokens\":8,\"temperature\":0,\"ignore_eos\":true";
    private static final String CHAT_GREETING = "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
            + "{\"role\":\"user\",\"content\":\"Hello there\"}],\"max_tokens\":8,\"temperature\":0,\"ignore_eos\":true}";

    private static List<JsonNode> events(ServerFixture server, String body) {
        return server.namedEvents("/v1/messages", body);
    }

    /**
     * The message a stream builds, as Anthropic's SDKs accumulate one: message_start's message, each
     * block from its start and deltas (a tool call's input parsed from its JSON), then the stop
     * reason and usage of message_delta. Checks the events' order on the way.
     */
    private static JsonNode accumulate(List<JsonNode> events) {
        assertThat(events.getFirst().get("type").asText()).isEqualTo("message_start");
        assertThat(events.getLast().get("type").asText()).isEqualTo("message_stop");
        var message = (com.fasterxml.jackson.databind.node.ObjectNode) events.getFirst().get("message").deepCopy();
        var content = (com.fasterxml.jackson.databind.node.ArrayNode) message.get("content");
        assertThat(content).isEmpty();
        StringBuilder json = new StringBuilder();
        int open = -1;
        for (JsonNode e : events.subList(1, events.size() - 1)) {
            switch (e.get("type").asText()) {
                case "content_block_start" -> {
                    assertThat(open).as("one block at a time").isEqualTo(-1);
                    open = e.get("index").asInt();
                    assertThat(open).isEqualTo(content.size());
                    content.add(e.get("content_block").deepCopy());
                    json.setLength(0);
                }
                case "content_block_delta" -> {
                    assertThat(e.get("index").asInt()).isEqualTo(open);
                    var block = (com.fasterxml.jackson.databind.node.ObjectNode) content.get(open);
                    JsonNode delta = e.get("delta");
                    switch (delta.get("type").asText()) {
                        case "text_delta" -> block.put("text", block.get("text").asText() + delta.get("text").asText());
                        case "thinking_delta" -> block.put("thinking", block.get("thinking").asText()
                                + delta.get("thinking").asText());
                        case "input_json_delta" -> json.append(delta.get("partial_json").asText());
                        default -> throw new AssertionError("unknown delta " + delta);
                    }
                }
                case "content_block_stop" -> {
                    assertThat(e.get("index").asInt()).isEqualTo(open);
                    var block = (com.fasterxml.jackson.databind.node.ObjectNode) content.get(open);
                    if (block.get("type").asText().equals("tool_use")) {
                        block.set("input", ServerFixture.parse(json.toString()));
                    }
                    open = -1;
                }
                case "message_delta" -> {
                    assertThat(open).as("every block stopped").isEqualTo(-1);
                    message.set("stop_reason", e.at("/delta/stop_reason"));
                    message.set("stop_sequence", e.at("/delta/stop_sequence"));
                    message.set("usage", e.get("usage"));
                }
                default -> throw new AssertionError("unexpected event " + e);
            }
        }
        return message;
    }

    @Test
    void aMessageAnswersAsChatDoesForTheSameConversation() {
        JsonNode chat = tiny.ok("/v1/chat/completions", CHAT_GREETING);
        JsonNode m = tiny.ok("/v1/messages", "{" + GREETING + ",\"metadata\":{\"user_id\":\"u-7\"}}");
        assertThat(m.get("id").asText()).startsWith("msg_");
        assertThat(m.get("type").asText()).isEqualTo("message");
        assertThat(m.get("role").asText()).isEqualTo("assistant");
        assertThat(m.get("model").asText()).isEqualTo(ServerFixture.MODEL_NAME);
        assertThat(m.get("content")).hasSize(1);
        assertThat(m.at("/content/0/type").asText()).isEqualTo("text");
        assertThat(m.at("/content/0/text").asText()).isEqualTo(chat.at("/choices/0/message/content").asText());
        assertThat(m.get("stop_reason").asText()).isEqualTo("max_tokens");
        assertThat(m.get("stop_sequence").isNull()).isTrue();
        // the same prompt again: what the prefix cache held is counted apart, as this API counts cache reads
        assertThat(m.at("/usage/input_tokens").asInt() + m.at("/usage/cache_read_input_tokens").asInt())
                .isEqualTo(chat.at("/usage/prompt_tokens").asInt());
        assertThat(m.at("/usage/cache_read_input_tokens").asInt()).isPositive();
        assertThat(m.at("/usage/output_tokens").asInt()).isEqualTo(8);
        JsonNode blocks = tiny.ok("/v1/messages", "{" + GREETING.replace("\"system\":\"Be brief.\"",
                "\"system\":[{\"type\":\"text\",\"text\":\"Be \"},{\"type\":\"text\",\"text\":\"brief.\","
                        + "\"cache_control\":{\"type\":\"ephemeral\"}}]").replace("\"content\":\"Hello there\"",
                "\"content\":[{\"type\":\"text\",\"text\":\"Hello there\"}]") + "}");
        assertThat(blocks.get("content")).as("blocks are the same text").isEqualTo(m.get("content"));
    }

    @Test
    void theStreamBuildsExactlyTheMessageThatComesBackWhole() {
        JsonNode whole = tiny.ok("/v1/messages", "{" + GREETING + "}");
        List<JsonNode> events = events(tiny, "{" + GREETING + ",\"stream\":true}");
        assertThat(events.getFirst().at("/message/usage/input_tokens").asInt()).isPositive();
        assertThat(events.get(1).get("type").asText()).isEqualTo("content_block_start");
        assertThat(events.get(1).at("/content_block/type").asText()).isEqualTo("text");
        JsonNode built = accumulate(events);
        assertThat(built.get("content")).isEqualTo(whole.get("content"));
        assertThat(built.get("stop_reason")).isEqualTo(whole.get("stop_reason"));
        assertThat(built.at("/usage/output_tokens")).isEqualTo(whole.at("/usage/output_tokens"));
    }

    @Test
    void aStopSequenceEndsTheReplyBeforeItAndIsNamed() {
        String text = tiny.ok("/v1/messages", "{" + GREETING + "}").at("/content/0/text").asText();
        assertThat(text.length()).isGreaterThan(4);
        String stop = text.substring(2, 4);
        String before = text.substring(0, text.indexOf(stop));
        String body = "{" + GREETING + ",\"stop_sequences\":[\"\\u0000never\"," + ServerFixture.JSON.valueToTree(stop) + "]";
        JsonNode m = tiny.ok("/v1/messages", body + "}");
        assertThat(m.get("stop_reason").asText()).isEqualTo("stop_sequence");
        assertThat(m.get("stop_sequence").asText()).isEqualTo(stop);
        assertThat(m.at("/content/0/text").asText()).isEqualTo(before);
        JsonNode built = accumulate(events(tiny, body + ",\"stream\":true}"));
        assertThat(built.get("stop_sequence").asText()).isEqualTo(stop);
        assertThat(built.get("content")).isEqualTo(m.get("content"));
    }

    @Test
    void thinkingComesAsAThinkingBlockBeforeTheAnswer() {
        JsonNode chat = thinking.ok("/v1/chat/completions", "{\"messages\":" + ThinkingModelFile.MESSAGES_JSON
                + ",\"max_tokens\":" + ThinkingModelFile.MAX_TOKENS + ",\"temperature\":0,\"ignore_eos\":true}");
        String body = "{\"messages\":" + ThinkingModelFile.MESSAGES_JSON + ",\"max_tokens\":"
                + ThinkingModelFile.MAX_TOKENS + ",\"temperature\":0,\"ignore_eos\":true";
        JsonNode m = thinking.ok("/v1/messages", body + "}");
        assertThat(m.get("content")).hasSize(2);
        assertThat(m.at("/content/0/type").asText()).isEqualTo("thinking");
        assertThat(m.at("/content/0/thinking").asText()).isEqualTo(chat.at("/choices/0/message/reasoning_content").asText());
        assertThat(m.at("/content/0/signature").asText()).isEmpty();
        assertThat(m.at("/content/1/text").asText()).isEqualTo(chat.at("/choices/0/message/content").asText());
        assertThat(accumulate(events(thinking, body + ",\"stream\":true}")).get("content")).isEqualTo(m.get("content"));
    }

    @Test
    void aThinkingBudgetClosesTheThinkingForTheModel() {
        String body = "{\"messages\":" + ThinkingModelFile.MESSAGES_JSON + ",\"max_tokens\":"
                + ThinkingModelFile.MAX_TOKENS + ",\"temperature\":0,\"ignore_eos\":true";
        String free = thinking.ok("/v1/messages", body + "}").at("/content/0/thinking").asText();
        JsonNode m = thinking.ok("/v1/messages", body + ",\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":2}}");
        assertThat(m.at("/content/0/type").asText()).isEqualTo("thinking");
        String budgeted = m.at("/content/0/thinking").asText();
        assertThat(free).as("the same first tokens, greedy").startsWith(budgeted.strip());
        assertThat(budgeted.length()).as("cut short").isLessThan(free.length());
        assertThat(m.at("/content/1/type").asText()).as("an answer follows").isEqualTo("text");
        assertThat(m.at("/usage/output_tokens").asInt()).isEqualTo(ThinkingModelFile.MAX_TOKENS);
        assertThat(accumulate(events(thinking, body + ",\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":2},"
                + "\"stream\":true}")).get("content")).isEqualTo(m.get("content"));
    }

    private static final String TOOLS = "[{\"name\":\"get_weather\",\"description\":\"The weather now in a city\","
            + "\"input_schema\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},"
            + "\"required\":[\"city\"]}}]";

    private static String toolsRequest(String extra) {
        return "{\"messages\":" + ToolCallingModelFile.MESSAGES_JSON + ",\"tools\":" + TOOLS + ",\"max_tokens\":"
                + ToolCallingModelFile.MAX_TOKENS + ",\"temperature\":0,\"ignore_eos\":true,\"stop_token_ids\":["
                + ToolCallingModelFile.tokenAfterTheCall() + "]" + extra + "}";
    }

    @Test
    void aCallComesBackAsAToolUseBlockAndItsResultContinuesAsChatWould() {
        JsonNode m = tools.ok("/v1/messages", toolsRequest(""));
        assertThat(m.get("stop_reason").asText()).isEqualTo("tool_use");
        JsonNode call = null;
        StringBuilder said = new StringBuilder();
        for (JsonNode block : m.get("content")) {
            if (block.get("type").asText().equals("tool_use")) {
                call = block;
            } else {
                said.append(block.get("text").asText());
            }
        }
        assertThat(call).isNotNull();
        assertThat(call.get("name").asText()).isEqualTo("get_weather");
        assertThat(call.get("input")).isEqualTo(ServerFixture.parse(ToolCallingModelFile.ARGUMENTS));
        assertThat(accumulate(events(tools, toolsRequest(",\"stream\":true"))).get("content").toString()
                .replaceAll("call_[A-Za-z0-9]{24}", "call"))
                .isEqualTo(m.get("content").toString().replaceAll("call_[A-Za-z0-9]{24}", "call"));

        // the client runs the tool and sends back the conversation with its result
        String id = call.get("id").asText();
        JsonNode next = tools.ok("/v1/messages", "{\"messages\":[{\"role\":\"user\",\"content\":\""
                + ToolCallingModelFile.QUESTION + "\"},{\"role\":\"assistant\",\"content\":" + m.get("content")
                + "},{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"" + id
                + "\",\"content\":[{\"type\":\"text\",\"text\":\"sunny\"}]}]}],\"tools\":" + TOOLS
                + ",\"max_tokens\":5,\"temperature\":0,\"ignore_eos\":true}");
        JsonNode chat = tools.ok("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\""
                + ToolCallingModelFile.QUESTION + "\"},{\"role\":\"assistant\",\"content\":"
                + (said.isEmpty() ? "null" : ServerFixture.JSON.valueToTree(said.toString()))
                + ",\"tool_calls\":[{\"id\":\"" + id + "\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                + "\"arguments\":" + ServerFixture.JSON.valueToTree(call.get("input").toString()) + "}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"" + id + "\",\"content\":\"sunny\"}],\"tools\":"
                + ToolCallingModelFile.TOOLS_JSON + ",\"max_tokens\":5,\"temperature\":0,\"ignore_eos\":true}");
        assertThat(next.at("/usage/input_tokens").asInt() + next.at("/usage/cache_read_input_tokens").asInt())
                .isEqualTo(chat.at("/usage/prompt_tokens").asInt());
        assertThat(text(next)).isEqualTo(chat.at("/choices/0/message/content").asText());
    }

    /** The text blocks' text, joined (a call between two pieces of text splits them). */
    private static String text(JsonNode message) {
        StringBuilder sb = new StringBuilder();
        message.get("content").forEach(b -> sb.append(b.get("type").asText().equals("text") ? b.get("text").asText() : ""));
        return sb.toString();
    }

    @Test
    void aNamedToolChoiceMustNameAnOfferedTool() {
        HttpResponse<String> r = tools.post("/v1/messages", toolsRequest(",\"tool_choice\":{\"type\":\"tool\","
                + "\"name\":\"get_time\"}"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(ServerFixture.parse(r.body()).at("/error/type").asText()).isEqualTo("invalid_request_error");
    }

    /** A final assistant message is the reply's beginning: the prompt is the conversation's, then its text. */
    @Test
    void aFinalAssistantMessageIsContinuedAndCountTokensCountsIt() {
        String conversation = "\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"}";
        int plain = tiny.ok("/v1/messages/count_tokens", "{" + conversation + "]}").get("input_tokens").asInt();
        JsonNode chat = tiny.ok("/v1/chat/completions", "{" + conversation + "],\"max_tokens\":1}");
        assertThat(plain).isEqualTo(chat.at("/usage/prompt_tokens").asInt());
        int prefill = tiny.ok("/tokenize", "{\"prompt\":\"Sure, \",\"add_special_tokens\":false}").get("count").asInt();
        String continued = "{" + conversation + ",{\"role\":\"assistant\",\"content\":\"Sure, \"}]";
        assertThat(tiny.ok("/v1/messages/count_tokens", continued + "}").get("input_tokens").asInt())
                .isEqualTo(plain + prefill);
        JsonNode m = tiny.ok("/v1/messages", continued + ",\"max_tokens\":4,\"temperature\":0,\"ignore_eos\":true}");
        assertThat(m.at("/usage/input_tokens").asInt() + m.at("/usage/cache_read_input_tokens").asInt())
                .isEqualTo(plain + prefill);
        assertThat(m.at("/usage/output_tokens").asInt()).isEqualTo(4);
    }

    private static void assertError(HttpResponse<String> r, int status, String type, String fragment) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode e = ServerFixture.parse(r.body());
        assertThat(e.get("type").asText()).isEqualTo("error");
        assertThat(e.at("/error/type").asText()).isEqualTo(type);
        assertThat(e.at("/error/message").asText()).contains(fragment);
    }

    @Test
    void errorsComeInThisApisShapeNamingTheProblem() {
        String user = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";
        assertError(tiny.post("/v1/messages", "{" + user + "}"), 400, "invalid_request_error", "max_tokens is required");
        assertError(tiny.post("/v1/messages", "{\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
                + "\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"AA==\"}}]}]}"),
                400, "invalid_request_error", "messages[0].content[0].type");
        assertError(tiny.post("/v1/messages", "{\"max_tokens\":4,\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]}"),
                400, "invalid_request_error", "messages[0].role must be \"user\" or \"assistant\"");
        assertError(tiny.post("/v1/messages", "{\"max_tokens\":4," + user + ",\"tools\":[{\"type\":\"web_search_20250305\","
                + "\"name\":\"web_search\"}]}"), 400, "invalid_request_error", "tools[0].type");
        assertError(tiny.post("/v1/messages", "{\"max_tokens\":4," + user + ",\"thinking\":{\"type\":\"enabled\"}}"),
                400, "invalid_request_error", "thinking.budget_tokens");
        assertError(tiny.post("/v1/messages", "{\"max_tokens\":4," + user + ",\"model\":\"claude-x\"}"), 404,
                "not_found_error", "claude-x");
        assertError(tiny.send(HttpRequest.newBuilder(tiny.uri("/v1/messages")).GET().build()), 405,
                "invalid_request_error", "GET");
        assertError(tiny.post("/v1/messages", "{\"max_tokens\":4," + user + ",\"stop_sequences\":[\"\"]}"), 400,
                "invalid_request_error", "stop_sequences");
    }

    @Test
    void xApiKeyIsAKeyAndAWrongOneIsAnAuthenticationError() throws Exception {
        try (ServerFixture keyed = ServerFixture.start(ServerFixture.engine(1, 0, 4),
                HttpServerConfig.loopback(0).withApiKey("s3cret"))) {
            String body = "{\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
            HttpRequest.Builder b = HttpRequest.newBuilder(keyed.uri("/v1/messages"))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).header("anthropic-version", "2023-06-01");
            assertError(keyed.send(b.copy().header("x-api-key", "wrong").build()), 401, "authentication_error", "key");
            assertError(keyed.send(b.copy().build()), 401, "authentication_error", "key");
            assertThat(keyed.send(b.copy().header("x-api-key", "s3cret").build()).statusCode()).isEqualTo(200);
            assertThat(keyed.send(b.copy().header("Authorization", "Bearer s3cret").build()).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aReplyCutShortByTheRequestTimeoutIsATimeoutError() throws Exception {
        var dispatch = dev.switchyard.engine.moe.DispatchConfig.defaults(true);
        var engine = new dev.switchyard.server.serving.EngineConfig(1, 2,
                dev.switchyard.server.serving.EngineConfig.defaultBatchTokens(2, dispatch), 0, 8,
                java.time.Duration.ofMillis(10), dispatch);
        try (ServerFixture slow = ServerFixture.start(engine, HttpServerConfig.loopback(0))) {
            String body = "{\"max_tokens\":200,\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"}],"
                    + "\"temperature\":0,\"ignore_eos\":true";
            assertError(slow.post("/v1/messages", body + "}"), 504, "timeout_error", "stopped before it finished");
            List<JsonNode> events = events(slow, body + ",\"stream\":true}");
            assertThat(events.getFirst().get("type").asText()).isEqualTo("message_start");
            assertThat(events.getLast().get("type").asText()).isEqualTo("error");
            assertThat(events.getLast().at("/error/type").asText()).isEqualTo("timeout_error");
        }
    }
}
