package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.server.ThinkingModelFile;
import dev.switchyard.server.ToolCallingModelFile;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/responses}, OpenAI's Responses API: the same conversation answers as chat
 * completions does; reasoning, the answer and tool calls come back as output items; the stream is
 * the API's semantic events, each named, numbered in order, building exactly the response that
 * comes back unstreamed; kept responses are read back, continued and deleted; what this server
 * cannot honour is a 400 naming the field.
 */
class ResponsesApiTest {

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

    private static final String GREETING = "\"instructions\":\"Be brief.\",\"input\":\"Hello there\",\"max_output_tokens\":8,"
            + "\"temperature\":0,\"ignore_eos\":true";

    /** The events of a streamed response, each checked to be named by its type and numbered in turn. */
    private static List<JsonNode> events(ServerFixture server, String body) {
        List<JsonNode> events = server.namedEvents("/v1/responses", body);
        for (int i = 0; i < events.size(); i++) {
            assertThat(events.get(i).get("sequence_number").asInt()).isEqualTo(i);
        }
        return events;
    }

    private static List<JsonNode> ofType(List<JsonNode> events, String type) {
        return events.stream().filter(e -> e.get("type").asText().equals(type)).toList();
    }

    private static String joined(List<JsonNode> events, String type) {
        StringBuilder sb = new StringBuilder();
        ofType(events, type).forEach(e -> sb.append(e.get("delta").asText()));
        return sb.toString();
    }

    /** The output items without their ids, which each response makes afresh. */
    private static String withoutIds(JsonNode output) {
        return output.toString().replaceAll("\"id\":\"[a-z]+_[0-9a-f]+\"", "\"id\":\"\"");
    }

    @Test
    void aResponseAnswersAsChatDoesForTheSameConversation() {
        JsonNode chat = tiny.ok("/v1/chat/completions", "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":\"Hello there\"}],\"max_tokens\":8,\"temperature\":0,\"ignore_eos\":true}");
        JsonNode r = tiny.ok("/v1/responses", "{" + GREETING + ",\"metadata\":{\"run\":\"7\"}}");
        assertThat(r.get("id").asText()).startsWith("resp_");
        assertThat(r.get("object").asText()).isEqualTo("response");
        assertThat(r.get("model").asText()).isEqualTo(ServerFixture.MODEL_NAME);
        assertThat(r.get("status").asText()).as("it ran out of tokens").isEqualTo("incomplete");
        assertThat(r.at("/incomplete_details/reason").asText()).isEqualTo("max_output_tokens");
        assertThat(r.get("output")).hasSize(1);
        JsonNode message = r.get("output").get(0);
        assertThat(message.get("type").asText()).isEqualTo("message");
        assertThat(message.get("role").asText()).isEqualTo("assistant");
        assertThat(message.at("/content/0/type").asText()).isEqualTo("output_text");
        assertThat(message.at("/content/0/text").asText()).isEqualTo(chat.at("/choices/0/message/content").asText());
        assertThat(r.at("/usage/input_tokens").asInt()).isEqualTo(chat.at("/usage/prompt_tokens").asInt());
        assertThat(r.at("/usage/output_tokens").asInt()).isEqualTo(8);
        assertThat(r.at("/usage/total_tokens").asInt()).isEqualTo(chat.at("/usage/total_tokens").asInt());
        assertThat(r.at("/usage/output_tokens_details/reasoning_tokens").asInt()).isZero();
        assertThat(r.get("instructions").asText()).isEqualTo("Be brief.");
        assertThat(r.get("max_output_tokens").asInt()).isEqualTo(8);
        assertThat(r.get("temperature").asDouble()).isZero();
        assertThat(r.get("store").asBoolean()).as("kept, by default").isTrue();
        assertThat(r.get("previous_response_id").isNull()).isTrue();
        assertThat(r.at("/metadata/run").asText()).isEqualTo("7");
        assertThat(r.at("/text/format/type").asText()).isEqualTo("text");
    }

    @Test
    void theStreamBuildsExactlyTheResponseThatComesBackWhole() {
        JsonNode whole = tiny.ok("/v1/responses", "{" + GREETING + "}");
        List<JsonNode> events = events(tiny, "{" + GREETING + ",\"stream\":true}");
        assertThat(events.get(0).get("type").asText()).isEqualTo("response.created");
        assertThat(events.get(0).at("/response/status").asText()).isEqualTo("in_progress");
        assertThat(events.get(0).at("/response/output")).isEmpty();
        assertThat(events.get(1).get("type").asText()).isEqualTo("response.in_progress");
        assertThat(events.get(2).get("type").asText()).isEqualTo("response.output_item.added");
        assertThat(events.get(3).get("type").asText()).isEqualTo("response.content_part.added");
        String text = whole.at("/output/0/content/0/text").asText();
        assertThat(joined(events, "response.output_text.delta")).isEqualTo(text);
        assertThat(ofType(events, "response.output_text.done").getFirst().get("text").asText()).isEqualTo(text);
        JsonNode last = events.getLast();
        assertThat(last.get("type").asText()).isEqualTo("response.incomplete");
        assertThat(withoutIds(last.at("/response/output"))).isEqualTo(withoutIds(whole.get("output")));
        assertThat(last.at("/response/usage")).isEqualTo(whole.get("usage"));
        // every delta names the item that was added, at its place
        String itemId = events.get(2).at("/item/id").asText();
        for (JsonNode delta : ofType(events, "response.output_text.delta")) {
            assertThat(delta.get("item_id").asText()).isEqualTo(itemId);
            assertThat(delta.get("output_index").asInt()).isZero();
        }
    }

    @Test
    void reasoningComesAsAReasoningItemBeforeTheAnswer() {
        String body = "{\"input\":" + ThinkingModelFile.MESSAGES_JSON + ",\"max_output_tokens\":" + ThinkingModelFile.MAX_TOKENS
                + ",\"temperature\":0,\"ignore_eos\":true";
        JsonNode chat = thinking.ok("/v1/chat/completions", "{\"messages\":" + ThinkingModelFile.MESSAGES_JSON
                + ",\"max_tokens\":" + ThinkingModelFile.MAX_TOKENS + ",\"temperature\":0,\"ignore_eos\":true}");
        JsonNode r = thinking.ok("/v1/responses", body + "}");
        assertThat(r.get("output")).hasSize(2);
        assertThat(r.at("/output/0/type").asText()).isEqualTo("reasoning");
        assertThat(r.at("/output/0/content/0/type").asText()).isEqualTo("reasoning_text");
        assertThat(r.at("/output/0/content/0/text").asText())
                .isEqualTo(chat.at("/choices/0/message/reasoning_content").asText());
        assertThat(r.at("/output/1/content/0/text").asText()).isEqualTo(chat.at("/choices/0/message/content").asText());
        int reasoningTokens = r.at("/usage/output_tokens_details/reasoning_tokens").asInt();
        assertThat(reasoningTokens).isPositive().isLessThan(r.at("/usage/output_tokens").asInt());

        List<JsonNode> events = events(thinking, body + ",\"stream\":true}");
        assertThat(joined(events, "response.reasoning_text.delta")).isEqualTo(r.at("/output/0/content/0/text").asText());
        assertThat(joined(events, "response.output_text.delta")).isEqualTo(r.at("/output/1/content/0/text").asText());
        List<String> order = events.stream().map(e -> e.get("type").asText()).toList();
        assertThat(order.lastIndexOf("response.reasoning_text.delta"))
                .isLessThan(order.indexOf("response.content_part.added"));
        assertThat(withoutIds(events.getLast().at("/response/output"))).isEqualTo(withoutIds(r.get("output")));
    }

    private static final String FLAT_TOOLS = "[{\"type\":\"function\",\"name\":\"get_weather\",\"description\":"
            + "\"The weather now in a city\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":"
            + "\"string\"}},\"required\":[\"city\"]}}]";

    private static String toolsRequest(String extra) {
        return "{\"input\":" + ToolCallingModelFile.MESSAGES_JSON + ",\"tools\":" + FLAT_TOOLS + ",\"max_output_tokens\":"
                + ToolCallingModelFile.MAX_TOKENS + ",\"temperature\":0,\"ignore_eos\":true,\"stop_token_ids\":["
                + ToolCallingModelFile.tokenAfterTheCall() + "]" + extra + "}";
    }

    @Test
    void aCallComesBackAsAFunctionCallItem() {
        JsonNode r = tools.ok("/v1/responses", toolsRequest(""));
        assertThat(r.get("status").asText()).isEqualTo("completed");
        List<JsonNode> calls = new ArrayList<>();
        r.get("output").forEach(item -> {
            if (item.get("type").asText().equals("function_call")) {
                calls.add(item);
            }
        });
        assertThat(calls).hasSize(1);
        JsonNode call = calls.getFirst();
        assertThat(call.get("id").asText()).startsWith("fc_");
        assertThat(call.get("call_id").asText()).matches("call_[A-Za-z0-9]{24}");
        assertThat(call.get("name").asText()).isEqualTo("get_weather");
        assertThat(ServerFixture.parse(call.get("arguments").asText()))
                .isEqualTo(ServerFixture.parse(ToolCallingModelFile.ARGUMENTS));
        assertThat(call.get("status").asText()).isEqualTo("completed");
        assertThat(r.at("/tools/0/name").asText()).as("the tools as sent").isEqualTo("get_weather");

        List<JsonNode> events = events(tools, toolsRequest(",\"stream\":true"));
        JsonNode done = ofType(events, "response.function_call_arguments.done").getFirst();
        assertThat(ServerFixture.parse(done.get("arguments").asText()))
                .isEqualTo(ServerFixture.parse(ToolCallingModelFile.ARGUMENTS));
        assertThat(joined(events, "response.function_call_arguments.delta")).isEqualTo(done.get("arguments").asText());
        assertThat(withoutIds(events.getLast().at("/response/output")).replaceAll("call_[A-Za-z0-9]{24}", "call"))
                .isEqualTo(withoutIds(r.get("output")).replaceAll("call_[A-Za-z0-9]{24}", "call"));
    }

    @Test
    void pastCallsAndTheirOutputsAreTheConversationChatWouldSend() {
        String chatTurn = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + ToolCallingModelFile.QUESTION + "\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\": \\\"Paris\\\"}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"sunny, 21 C\"}],\"tools\":"
                + ToolCallingModelFile.TOOLS_JSON + ",\"max_tokens\":6,\"temperature\":0,\"ignore_eos\":true}";
        String responsesTurn = "{\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\""
                + ToolCallingModelFile.QUESTION + "\"}]},"
                + "{\"type\":\"function_call\",\"call_id\":\"call_1\",\"name\":\"get_weather\","
                + "\"arguments\":\"{\\\"city\\\": \\\"Paris\\\"}\"},"
                + "{\"type\":\"reasoning\",\"id\":\"rs_1\",\"summary\":[]},"
                + "{\"type\":\"function_call_output\",\"call_id\":\"call_1\",\"output\":\"sunny, 21 C\"}],\"tools\":"
                + FLAT_TOOLS + ",\"max_output_tokens\":6,\"temperature\":0,\"ignore_eos\":true}";
        JsonNode chat = tools.ok("/v1/chat/completions", chatTurn);
        JsonNode r = tools.ok("/v1/responses", responsesTurn);
        assertThat(r.at("/usage/input_tokens").asInt()).isEqualTo(chat.at("/usage/prompt_tokens").asInt());
        assertThat(r.at("/output/0/content/0/text").asText()).isEqualTo(chat.at("/choices/0/message/content").asText());
    }

    @Test
    void logprobsComeWithTheAnswerWhenIncluded() {
        JsonNode r = tiny.ok("/v1/responses", "{" + GREETING
                + ",\"include\":[\"message.output_text.logprobs\"],\"top_logprobs\":2}");
        JsonNode logprobs = r.at("/output/0/content/0/logprobs");
        assertThat(logprobs).hasSize(8);
        for (JsonNode lp : logprobs) {
            assertThat(lp.get("logprob").asDouble()).isLessThanOrEqualTo(0);
            assertThat(lp.get("top_logprobs")).hasSize(2);
            assertThat(lp.get("bytes").isArray()).isTrue();
        }
        assertThat(tiny.ok("/v1/responses", "{" + GREETING + "}").at("/output/0/content/0/logprobs")).isEmpty();
    }

    @Test
    void aSchemaInTextFormatHoldsTheAnswer() {
        JsonNode r = tiny.ok("/v1/responses", "{\"input\":\"Give me a number\",\"max_output_tokens\":200,"
                + "\"temperature\":0,\"text\":{\"format\":{\"type\":\"json_schema\",\"name\":\"n\",\"schema\":{"
                + "\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}},\"required\":[\"n\"],"
                + "\"additionalProperties\":false}}}}");
        assertThat(r.at("/text/format/name").asText()).isEqualTo("n");
        if (r.get("status").asText().equals("completed")) {
            JsonNode answer = ServerFixture.parse(r.at("/output/0/content/0/text").asText());
            assertThat(answer.get("n").isIntegralNumber()).as(answer.toString()).isTrue();
        } else {
            assertThat(r.at("/output/0/content/0/text").asText()).startsWith("{");
        }
    }

    private static void assertRefused(String body, String param, String fragment) {
        HttpResponse<String> r = tiny.post("/v1/responses", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        JsonNode error = ServerFixture.parse(r.body()).get("error");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("param").asText()).isEqualTo(param);
        assertThat(error.get("message").asText()).contains(fragment);
    }

    @Test
    void whatCannotBeHonouredIsRefusedByName() {
        assertRefused("{\"max_output_tokens\":4}", "input", "input is required");
        assertRefused("{\"input\":[]}", "input", "non-empty");
        assertRefused("{\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_image\",\"image_url\":\"x\"}]}]}",
                "input[0].content[0].type", "input_image");
        assertRefused("{\"input\":[{\"type\":\"item_reference\",\"id\":\"msg_1\"}]}", "input[0].type", "not supported");
        assertRefused("{\"input\":[{\"type\":\"function_call_output\",\"output\":\"x\"}]}", "input[0].call_id",
                "is required");
        assertRefused("{\"input\":\"hi\",\"include\":[\"file_search_call.results\"]}", "include[0]",
                "file_search_call.results");
        assertRefused("{\"input\":\"hi\",\"tools\":[{\"type\":\"web_search\"}]}", "tools[0].type", "web_search");
        assertRefused("{\"input\":\"hi\",\"text\":{\"format\":{\"type\":\"json_schema\",\"name\":\"x\"}}}",
                "text.format.schema", "is required");
        assertRefused("{\"input\":\"hi\",\"top_logprobs\":21}", "top_logprobs", "0..20");
        assertRefused("{\"input\":\"hi\",\"max_output_tokens\":100000}", "max_output_tokens", "lower max_output_tokens");
    }

    @Test
    void aKeptResponseIsReadBackContinuedWithoutItsInstructionsAndDeleted() {
        JsonNode first = tiny.ok("/v1/responses", "{" + GREETING + "}");
        String id = first.get("id").asText();
        HttpResponse<String> read = tiny.get("/v1/responses/" + id);
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(ServerFixture.parse(read.body())).isEqualTo(first);

        String answer = first.at("/output/0/content/0/text").asText();
        JsonNode next = tiny.ok("/v1/responses", "{\"previous_response_id\":\"" + id + "\",\"input\":\"And then?\","
                + "\"max_output_tokens\":6,\"temperature\":0,\"ignore_eos\":true}");
        JsonNode chat = tiny.ok("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"},"
                + "{\"role\":\"assistant\",\"content\":" + ServerFixture.JSON.valueToTree(answer) + "},"
                + "{\"role\":\"user\",\"content\":\"And then?\"}],\"max_tokens\":6,\"temperature\":0,\"ignore_eos\":true}");
        assertThat(next.get("previous_response_id").asText()).isEqualTo(id);
        assertThat(next.at("/usage/input_tokens").asInt()).isEqualTo(chat.at("/usage/prompt_tokens").asInt());
        assertThat(next.at("/output/0/content/0/text").asText()).isEqualTo(chat.at("/choices/0/message/content").asText());

        HttpResponse<String> deleted = tiny.send(java.net.http.HttpRequest.newBuilder(tiny.uri("/v1/responses/" + id))
                .DELETE().build());
        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(ServerFixture.parse(deleted.body()).get("deleted").asBoolean()).isTrue();
        assertThat(tiny.get("/v1/responses/" + id).statusCode()).isEqualTo(404);
        HttpResponse<String> gone = tiny.post("/v1/responses", "{\"previous_response_id\":\"" + id + "\",\"input\":\"x\"}");
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(ServerFixture.parse(gone.body()).at("/error/param").asText()).isEqualTo("previous_response_id");
    }

    @Test
    void theInputItemsOfAKeptResponseArePagedAsOpenAiListsThem() {
        JsonNode r = tiny.ok("/v1/responses", "{\"input\":[{\"role\":\"user\",\"content\":\"one\"},"
                + "{\"type\":\"message\",\"role\":\"assistant\",\"content\":\"two\"},{\"id\":\"msg_mine\","
                + "\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"three\"}]}],"
                + "\"max_output_tokens\":2,\"temperature\":0}");
        String path = "/v1/responses/" + r.get("id").asText() + "/input_items";
        JsonNode all = ServerFixture.parse(tiny.get(path).body());
        assertThat(all.get("object").asText()).isEqualTo("list");
        assertThat(all.get("data")).hasSize(3);
        assertThat(all.at("/data/0/id").asText()).as("the last item first, by default").isEqualTo("msg_mine");
        assertThat(all.at("/data/2/content").asText()).isEqualTo("one");
        assertThat(all.at("/data/2/id").asText()).startsWith("msg_");
        assertThat(all.get("has_more").asBoolean()).isFalse();
        JsonNode first = ServerFixture.parse(tiny.get(path + "?order=asc&limit=2").body());
        assertThat(first.get("data")).hasSize(2);
        assertThat(first.at("/data/0/content").asText()).isEqualTo("one");
        assertThat(first.get("has_more").asBoolean()).isTrue();
        JsonNode rest = ServerFixture.parse(tiny.get(path + "?order=asc&limit=2&after=" + first.get("last_id").asText())
                .body());
        assertThat(rest.get("data")).hasSize(1);
        assertThat(rest.at("/data/0/id").asText()).isEqualTo("msg_mine");
        assertThat(rest.get("has_more").asBoolean()).isFalse();
        assertThat(tiny.get(path + "?limit=0").statusCode()).isEqualTo(400);
        assertThat(tiny.get(path + "?order=sideways").statusCode()).isEqualTo(400);
        assertThat(tiny.get("/v1/responses/resp_none/input_items").statusCode()).isEqualTo(404);
    }

    @Test
    void aStreamedResponseIsKeptAsItsLastEventShowsIt() {
        List<JsonNode> events = events(tiny, "{" + GREETING + ",\"stream\":true}");
        String id = events.getFirst().at("/response/id").asText();
        HttpResponse<String> read = tiny.get("/v1/responses/" + id);
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(ServerFixture.parse(read.body())).isEqualTo(events.getLast().get("response"));
    }

    @Test
    void storeFalseKeepsNothing() {
        JsonNode r = tiny.ok("/v1/responses", "{" + GREETING + ",\"store\":false}");
        assertThat(r.get("store").asBoolean()).isFalse();
        assertThat(tiny.get("/v1/responses/" + r.get("id").asText()).statusCode()).isEqualTo(404);
    }

    /** The reply's text around its calls (a message item before and after each), as chat's content joins it; null if none. */
    private static String said(JsonNode response) {
        StringBuilder text = new StringBuilder();
        for (JsonNode item : response.get("output")) {
            if (item.get("type").asText().equals("message")) {
                text.append(item.at("/content/0/text").asText());
            }
        }
        return text.isEmpty() ? null : text.toString();
    }

    /** An agent's loop: the model calls, the client runs the tool and sends only its output, naming the response. */
    @Test
    void aCallsOutputContinuesTheResponseThatMadeIt() {
        JsonNode called = tools.ok("/v1/responses", toolsRequest(""));
        JsonNode call = null;
        for (JsonNode item : called.get("output")) {
            if (item.get("type").asText().equals("function_call")) {
                call = item;
            }
        }
        assertThat(call).isNotNull();
        String callId = call.get("call_id").asText();
        String text = said(called);
        JsonNode next = tools.ok("/v1/responses", "{\"previous_response_id\":\"" + called.get("id").asText() + "\","
                + "\"input\":[{\"type\":\"function_call_output\",\"call_id\":\"" + callId + "\",\"output\":\"sunny\"}],"
                + "\"tools\":" + FLAT_TOOLS + ",\"max_output_tokens\":5,\"temperature\":0,\"ignore_eos\":true}");
        JsonNode chat = tools.ok("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\""
                + ToolCallingModelFile.QUESTION + "\"},{\"role\":\"assistant\",\"content\":"
                + ServerFixture.JSON.valueToTree(text) + ",\"tool_calls\":[{\"id\":\"" + callId + "\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":" + ServerFixture.JSON.valueToTree(
                        call.get("arguments").asText()) + "}}]},{\"role\":\"tool\",\"tool_call_id\":\"" + callId
                + "\",\"content\":\"sunny\"}],\"tools\":" + ToolCallingModelFile.TOOLS_JSON
                + ",\"max_tokens\":5,\"temperature\":0,\"ignore_eos\":true}");
        assertThat(next.at("/usage/input_tokens").asInt()).isEqualTo(chat.at("/usage/prompt_tokens").asInt());
        assertThat(said(next)).isEqualTo(chat.at("/choices/0/message/content").asText());
    }

    @Test
    void aResponseAbortedByTheRequestTimeoutIsCancelled() throws Exception {
        var dispatch = dev.switchyard.engine.moe.DispatchConfig.defaults(true);
        var engine = new dev.switchyard.server.serving.EngineConfig(1, 2,
                dev.switchyard.server.serving.EngineConfig.defaultBatchTokens(2, dispatch), 0, 8,
                java.time.Duration.ofMillis(10), dispatch);
        try (ServerFixture slow = ServerFixture.start(engine, HttpServerConfig.loopback(0))) {
            String body = "{\"input\":\"Hello there\",\"max_output_tokens\":200,\"temperature\":0,\"ignore_eos\":true";
            JsonNode r = slow.ok("/v1/responses", body + "}");
            assertThat(r.get("status").asText()).isEqualTo("cancelled");
            assertThat(r.at("/usage/output_tokens").asInt()).isLessThan(200);
            List<JsonNode> events = events(slow, body + ",\"stream\":true}");
            assertThat(events.getLast().get("type").asText()).isEqualTo("response.cancelled");
        }
    }

    @Test
    void aNamedToolChoiceMustNameAnOfferedTool() {
        HttpResponse<String> r = tools.post("/v1/responses", toolsRequest(
                ",\"tool_choice\":{\"type\":\"function\",\"name\":\"get_time\"}"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(ServerFixture.parse(r.body()).at("/error/param").asText()).isEqualTo("tool_choice.name");
    }
}
