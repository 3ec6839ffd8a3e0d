package dev.switchyard.server.http;

import static dev.switchyard.server.http.ServerFixture.finishReason;
import static dev.switchyard.server.http.ServerFixture.streamedText;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.engine.structured.JsonMatcher;
import dev.switchyard.engine.structured.JsonSchema;
import dev.switchyard.server.TinyModelFile;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code response_format} holds a random-weight model's replies to JSON and to a schema: whatever
 * the model would rather write, every reply is a valid prefix of an allowed value, and a reply that
 * ends by itself is a whole one. What a schema says that cannot be enforced is a 400 naming it.
 * vLLM's {@code guided_choice} holds each reply to one of its texts, {@code guided_regex} to a
 * whole match of its pattern, and {@code guided_json} (or {@code structured_outputs}) to a schema
 * as {@code response_format} does.
 */
class StructuredOutputTest {

    private static final String WEATHER_SCHEMA = "{\"type\":\"object\",\"properties\":{\"unit\":{\"enum\":[\"celsius\","
            + "\"fahrenheit\"]},\"sunny\":{\"type\":\"boolean\"},\"rain\":{\"type\":\"null\"}},\"required\":[\"unit\","
            + "\"sunny\"],\"additionalProperties\":false}";
    private static final String WEATHER_FORMAT = "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"weather\","
            + "\"strict\":true,\"schema\":" + WEATHER_SCHEMA + "}}";

    private static ServerFixture server;

    @BeforeAll
    static void start() throws Exception {
        server = ServerFixture.serving(TinyModelFile.longContext(), null);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String chat(String format, String extra) {
        return "{\"messages\":[{\"role\":\"user\",\"content\":\"The weather in Paris, as JSON.\"}],"
                + "\"response_format\":" + format + ",\"max_tokens\":400" + extra + "}";
    }

    @Test
    void aSchemaHoldsEveryReplyToAWholeAllowedValue() {
        for (String sampling : List.of(",\"temperature\":0", ",\"temperature\":1.2,\"seed\":3,\"n\":3")) {
            JsonNode r = server.ok("/v1/chat/completions", chat(WEATHER_FORMAT, sampling));
            for (JsonNode choice : r.get("choices")) {
                String content = choice.at("/message/content").asText();
                JsonNode value = ServerFixture.parse(content);
                assertThat(value.get("unit").asText()).as(content).isIn("celsius", "fahrenheit");
                assertThat(value.get("sunny").isBoolean()).as(content).isTrue();
                assertThat(value.size()).as(content).isBetween(2, 3);
                assertThat(choice.get("finish_reason").asText()).as("the value ends the reply").isEqualTo("stop");
            }
        }
    }

    /** A string's pattern and an integer's bounds hold their values, whatever the model would rather write. */
    @Test
    void aPatternAndBoundsHoldTheirValues() {
        String format = "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"place\",\"strict\":true,\"schema\":"
                + "{\"type\":\"object\",\"properties\":{\"zip\":{\"type\":\"string\",\"pattern\":\"^[0-9]{5}$\"},"
                + "\"code\":{\"type\":\"string\",\"pattern\":\"^[A-Z]{2}-[0-9]+$\"},\"month\":{\"type\":\"integer\","
                + "\"minimum\":1,\"maximum\":12}},\"required\":[\"zip\",\"code\",\"month\"],"
                + "\"additionalProperties\":false}}}";
        JsonNode r = server.ok("/v1/chat/completions", chat(format, ",\"temperature\":1.3,\"seed\":9,\"n\":4"));
        int whole = 0;
        for (JsonNode choice : r.get("choices")) {
            String content = choice.at("/message/content").asText();
            if (choice.get("finish_reason").asText().equals("stop")) {
                JsonNode value = ServerFixture.parse(content);
                assertThat(value.get("zip").asText()).as(content).matches("[0-9]{5}");
                assertThat(value.get("code").asText()).as(content).matches("[A-Z]{2}-[0-9]+");
                assertThat(value.get("month").asInt()).as(content).isBetween(1, 12);
                whole++;
            }
        }
        assertThat(whole).as("replies that ended by themselves").isPositive();
    }

    @Test
    void streamedRepliesAreTheSameValue() {
        String whole = server.ok("/v1/chat/completions", chat(WEATHER_FORMAT, ",\"temperature\":0"))
                .at("/choices/0/message/content").asText();
        List<JsonNode> chunks = server.stream("/v1/chat/completions", chat(WEATHER_FORMAT,
                ",\"temperature\":0,\"stream\":true"));
        assertThat(streamedText(chunks, 0)).isEqualTo(whole);
        assertThat(finishReason(chunks, 0)).isEqualTo("stop");
    }

    @Test
    void jsonObjectRepliesAreAlwaysAValidBeginningOfAnObject() {
        for (String path : List.of("/v1/chat/completions", "/v1/completions")) {
            String body = path.endsWith("chat/completions")
                    ? chat("{\"type\":\"json_object\"}", ",\"temperature\":1.0,\"seed\":11,\"n\":2,\"max_tokens\":60")
                    : "{\"prompt\":\"JSON:\",\"response_format\":{\"type\":\"json_object\"},\"max_tokens\":60,"
                            + "\"temperature\":1.0,\"seed\":11,\"n\":2}";
            JsonNode r = server.ok(path, body);
            for (JsonNode choice : r.get("choices")) {
                String text = path.endsWith("chat/completions") ? choice.at("/message/content").asText()
                        : choice.get("text").asText();
                JsonMatcher m = new JsonMatcher(JsonSchema.ObjectSchema.anyObject());
                for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
                    assertThat(m.feed(b)).as("%s: %s", path, text).isTrue();
                }
                if (choice.get("finish_reason").asText().equals("stop")) {
                    assertThat(m.done()).isTrue();
                    assertThat(ServerFixture.parse(text).isObject()).isTrue();
                }
            }
        }
    }

    @Test
    void whatCannotBeEnforcedIsRefusedNamingIt() {
        String minimum = "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{\"type\":\"object\","
                + "\"properties\":{\"n\":{\"type\":\"number\",\"minimum\":1}}}}}";
        assertError(chat(minimum, ""), "response_format.json_schema.schema", "unsupported_parameter", "'minimum'");
        String lookahead = "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{\"type\":\"object\","
                + "\"properties\":{\"zip\":{\"type\":\"string\",\"pattern\":\"^(?=1)[0-9]{5}$\"}}}}}";
        assertError(chat(lookahead, ""), "response_format.json_schema.schema", "unsupported_parameter", "lookaround");
        assertError(chat("{\"type\":\"xml\"}", ""), "response_format.type", null, "json_schema");
        assertError(chat("{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\"}}", ""),
                "response_format.json_schema.schema", null, "required");
        assertError(chat("{\"type\":\"json_schema\",\"json_schema\":{\"schema\":{\"type\":\"string\"}}}", ""),
                "response_format.json_schema.schema", "unsupported_parameter", "object or an array");
        assertError(chat("{\"type\":\"json_object\"}", ",\"tools\":[{\"type\":\"function\",\"function\":"
                + "{\"name\":\"f\"}}]"), "response_format", "unsupported_parameter", "tools");
    }

    private static final String CHOICES = "[\"celsius\",\"fahrenheit\",\"kelvin, of course\"]";

    /**
     * Asks chat and completions, with each of {@code fields}, for six sampled replies (temperature
     * 1.3, seed {@code seed}) and checks every reply's text with {@code check}; each must end on its
     * own ({@code finish_reason: "stop"}).
     */
    private static void eachHeldReply(String question, List<String> fields, int maxTokens, long seed,
                                      java.util.function.BiConsumer<String, String> check) {
        for (String path : List.of("/v1/chat/completions", "/v1/completions")) {
            for (String field : fields) {
                String prompt = path.endsWith("chat/completions")
                        ? "\"messages\":[{\"role\":\"user\",\"content\":\"" + question + "\"}]"
                        : "\"prompt\":\"" + question + "\"";
                JsonNode r = server.ok(path, "{" + prompt + "," + field + ",\"max_tokens\":" + maxTokens
                        + ",\"temperature\":1.3,\"seed\":" + seed + ",\"n\":6}");
                for (JsonNode choice : r.get("choices")) {
                    String text = path.endsWith("chat/completions") ? choice.at("/message/content").asText()
                            : choice.get("text").asText();
                    check.accept(path + " " + field, text);
                    assertThat(choice.get("finish_reason").asText()).as("the text ends the reply: " + text)
                            .isEqualTo("stop");
                }
            }
        }
    }

    @Test
    void aGuidedChoiceRepliesWithExactlyOneOfItsTexts() {
        eachHeldReply("Which unit?", List.of("\"guided_choice\":" + CHOICES, "\"structured_outputs\":{\"choice\":"
                + CHOICES + "}"), 50, 5, (asked, text) -> assertThat(text).as(asked)
                .isIn("celsius", "fahrenheit", "kelvin, of course"));
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Which unit?\"}],\"guided_choice\":" + CHOICES
                + ",\"max_tokens\":50,\"temperature\":0";
        String whole = server.ok("/v1/chat/completions", body + "}").at("/choices/0/message/content").asText();
        List<JsonNode> chunks = server.stream("/v1/chat/completions", body + ",\"stream\":true}");
        assertThat(streamedText(chunks, 0)).isEqualTo(whole);
        assertThat(finishReason(chunks, 0)).isEqualTo("stop");
    }

    @Test
    void aGuidedRegexHoldsEachReplyToAWholeMatch() {
        eachHeldReply("A number?", List.of("\"guided_regex\":\"[0-9]{3}-[0-9]{2,4}\""), 60, 5,
                (asked, text) -> assertThat(text).as(asked).matches("[0-9]{3}-[0-9]{2,4}"));
        eachHeldReply("A number?", List.of("\"structured_outputs\":{\"regex\":\"(yes|no)( indeed)?\"}"), 60, 5,
                (asked, text) -> assertThat(text).as(asked).matches("(yes|no)( indeed)?"));
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"A number?\"}],\"guided_regex\":"
                + "\"-?[0-9]{1,3}\\\\.[0-9]\",\"max_tokens\":60,\"temperature\":0";
        String whole = server.ok("/v1/chat/completions", body + "}").at("/choices/0/message/content").asText();
        assertThat(whole).matches("-?[0-9]{1,3}\\.[0-9]");
        List<JsonNode> chunks = server.stream("/v1/chat/completions", body + ",\"stream\":true}");
        assertThat(streamedText(chunks, 0)).isEqualTo(whole);
        assertError("{\"messages\":[{\"role\":\"user\",\"content\":\"Which?\"}],\"guided_regex\":\"(a)\\\\1\"}",
                "guided_regex", "unsupported_parameter", "backreferences");
    }

    /** Up to three items, each a number or a quoted word, as a list: the grammar's sentences, as a pattern. */
    private static final String LIST_GRAMMAR = "root ::= \\\"[\\\" item (\\\", \\\" item){0,2} \\\"]\\\"\\n"
            + "item ::= [0-9]{1,3} | \\\"'\\\" word \\\"'\\\"\\nword ::= [a-z]{1,8}";
    private static final String LIST_PATTERN = "\\[([0-9]{1,3}|'[a-z]{1,8}')(, ([0-9]{1,3}|'[a-z]{1,8}')){0,2}\\]";

    @Test
    void aGrammarHoldsEachReplyToAWholeSentence() {
        eachHeldReply("A list?", List.of("\"guided_grammar\":\"" + LIST_GRAMMAR + "\"",
                "\"structured_outputs\":{\"grammar\":\"" + LIST_GRAMMAR + "\"}", "\"grammar\":\"" + LIST_GRAMMAR + "\""),
                80, 9, (asked, text) -> assertThat(text).as(asked).matches(LIST_PATTERN));
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"A list?\"}],\"guided_grammar\":\"" + LIST_GRAMMAR
                + "\",\"max_tokens\":80,\"temperature\":0";
        String whole = server.ok("/v1/chat/completions", body + "}").at("/choices/0/message/content").asText();
        assertThat(whole).matches(LIST_PATTERN);
        List<JsonNode> chunks = server.stream("/v1/chat/completions", body + ",\"stream\":true}");
        assertThat(streamedText(chunks, 0)).isEqualTo(whole);
    }

    @Test
    void guidedJsonHoldsRepliesAsResponseFormatDoes() {
        String question = "\"messages\":[{\"role\":\"user\",\"content\":\"The weather in Paris, as JSON.\"}],"
                + "\"max_tokens\":400,\"temperature\":0";
        String expected = server.ok("/v1/chat/completions", chat(WEATHER_FORMAT, ",\"temperature\":0"))
                .at("/choices/0/message/content").asText();
        for (String field : List.of("\"guided_json\":" + WEATHER_SCHEMA,
                "\"guided_json\":" + ServerFixture.JSON.valueToTree(WEATHER_SCHEMA),
                "\"structured_outputs\":{\"json\":" + WEATHER_SCHEMA + "}", "\"json_schema\":" + WEATHER_SCHEMA)) {
            assertThat(server.ok("/v1/chat/completions", "{" + question + "," + field + "}")
                    .at("/choices/0/message/content").asText()).as(field).isEqualTo(expected);
        }
    }

    @Test
    void aGuidedChoiceThatCannotBeHeldIsRefusedNamingIt() {
        String q = "{\"messages\":[{\"role\":\"user\",\"content\":\"Which?\"}],";
        assertError(q + "\"guided_choice\":[\"yes\",\"yes!\"]}", "guided_choice[1]", null, "could not end");
        assertError(q + "\"guided_choice\":[\"no\",\"no\"]}", "guided_choice[1]", null, "twice");
        assertError(q + "\"guided_choice\":[]}", "guided_choice", null, "list of 1 to");
        assertError(q + "\"guided_choice\":[\"a\",3]}", "guided_choice[1]", null, "string");
        assertError(q + "\"guided_choice\":[\"a\"],\"response_format\":{\"type\":\"json_object\"}}", "guided_choice",
                null, "one of response_format and guided_choice");
        assertError(q + "\"structured_outputs\":{\"grammar\":\"root ::= x\"}}", "structured_outputs.grammar",
                "unsupported_parameter", "the grammar at line 1, column 10 ('x'): the rule 'x' is used but never defined");
        assertError(q + "\"structured_outputs\":{\"structural_tag\":{}}}", "structured_outputs.structural_tag",
                "unsupported_parameter", "structural_tag");
        assertError(q + "\"guided_grammar\":\"root ::= [0-9]+\",\"guided_regex\":\"[0-9]+\"}", "guided_grammar",
                null, "one of guided_regex and guided_grammar");
        assertError(q + "\"guided_json\":{\"type\":\"string\"}}", "guided_json", "unsupported_parameter",
                "object or an array");
    }

    private static void assertError(String body, String param, String code, String inMessage) {
        HttpResponse<String> r = server.post("/v1/chat/completions", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        JsonNode error = ServerFixture.parse(r.body()).get("error");
        assertThat(error.get("param").asText()).isEqualTo(param);
        if (code != null) {
            assertThat(error.get("code").asText()).isEqualTo(code);
        }
        assertThat(error.get("message").asText()).contains(inMessage);
    }
}
