package dev.switchyard.engine.structured;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The matcher takes exactly the JSON values a schema allows, byte by byte: every byte of an
 * allowed value is taken and the value is done at its last byte, while a value that breaks JSON or
 * the schema is refused at the first byte that cannot go on.
 */
class JsonMatcherTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static JsonSchema schema(String json) {
        try {
            return JsonSchemaCompiler.compile(JSON.readTree(json));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** How far {@code text} gets: its length when every byte is taken, else the index of the refused byte. */
    static int taken(JsonSchema schema, String text) {
        JsonMatcher m = new JsonMatcher(schema);
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            if (!m.feed(bytes[i])) {
                return i;
            }
        }
        return bytes.length;
    }

    static boolean whole(JsonSchema schema, String text) {
        JsonMatcher m = new JsonMatcher(schema);
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            if (!m.feed(b)) {
                return false;
            }
        }
        return m.done();
    }

    private static final JsonSchema ANY_OBJECT = JsonSchema.ObjectSchema.anyObject();

    @ParameterizedTest
    @ValueSource(strings = {"{}", "{\"a\":1}", " {\n  \"a\": [1, -2.5e+3, 0, 0.25, true, false, null],\n  \"b\": {}\n}", "\n{\"one blank\":\"before\"}",
            "{\"s\":\"tab\\tquote\\\" \\u00e9 é 日本 😀\"}", "{\"deep\":[[[[{\"x\":[]}]]]]}", "{\"n\":-0.0E-1}",
            "{\"a\":{\"a\":{\"a\":\"\"}},\"b\":[\"\",{}]}"})
    void anyObjectTakesValidJsonAndIsDoneAtItsLastByte(String text) throws Exception {
        assertThat(JSON.readTree(text).isObject()).isTrue();
        JsonMatcher m = new JsonMatcher(ANY_OBJECT);
        byte[] bytes = text.stripTrailing().getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            assertThat(m.done()).as("done before byte %d", i).isFalse();
            assertThat(m.feed(bytes[i])).as("byte %d of %s", i, text).isTrue();
        }
        assertThat(m.done()).isTrue();
        assertThat(m.feed((byte) ' ')).as("nothing after the value").isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"a\":1,}", "{\"a\":01}", "{a:1}", "{\"a\" 1}", "{\"a\":1}}", "[1]", "{\"a\":tru}",
            "{\"a\":\"x\ny\"}", "{\"a\":\"\\x\"}", "{\"a\":1.}", "{\"a\":-}", "{\"a\":1e}", "{,}", "{\"a\":[1,]}",
            "{\"a\":\"\\u12g4\"}", "{\"a\":nul}", "{\"a\":1 2}"})
    void anyObjectRefusesWhatIsNotJsonOrNotAnObject(String text) {
        assertThat(whole(ANY_OBJECT, text)).as(text).isFalse();
        assertThat(jacksonReadsAnObject(text)).as("Jackson agrees: %s", text).isFalse();
    }

    private static boolean jacksonReadsAnObject(String text) {
        try {
            JsonNode n = JSON.readerFor(JsonNode.class).with(
                    com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(text);
            return n != null && n.isObject();
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void propertiesRequiredTypesAndNoOtherKeys() {
        JsonSchema s = schema("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
                + "\"age\":{\"type\":\"integer\"},\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},"
                + "\"maxItems\":2}},\"required\":[\"name\",\"age\"],\"additionalProperties\":false}");
        assertThat(whole(s, "{\"name\":\"Ada\",\"age\":36}")).isTrue();
        assertThat(whole(s, "{\"age\":36,\"tags\":[\"a\",\"b\"],\"name\":\"Ada\"}")).as("any order").isTrue();
        assertThat(taken(s, "{\"name\":\"Ada\"}")).as("age is required").isEqualTo(13);
        assertThat(taken(s, "{\"name\":\"Ada\",\"age\":36.5}")).as("an integer").isEqualTo(22);
        assertThat(taken(s, "{\"nick\":\"A\"}")).as("no other key: refused at its first wrong byte").isEqualTo(3);
        assertThat(taken(s, "{\"name\":\"A\",\"name\":\"B\"}")).as("no key twice: refused as it is spelled").isEqualTo(13);
        assertThat(taken(s, "{\"tags\":[\"a\",\"b\",\"c\"]}")).as("at most two tags").isEqualTo(16);
        assertThat(taken(s, "{\"name\":1}")).as("name is a string").isEqualTo(8);
    }

    @Test
    void otherKeysFollowAdditionalProperties() {
        JsonSchema open = schema("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}}}");
        assertThat(whole(open, "{\"a\":1,\"b\":[\"anything\"],\"a\\u0062\":null}")).isTrue();
        assertThat(whole(open, "{\"a\":\"x\"}")).as("a known key keeps its type").isFalse();
        JsonSchema numbers = schema("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"number\"}}");
        assertThat(whole(numbers, "{\"x\":1.5,\"y\":-2}")).isTrue();
        assertThat(whole(numbers, "{\"x\":\"1.5\"}")).isFalse();
    }

    @Test
    void enumsConstsAndChoicesOfDifferentTypes() {
        JsonSchema s = schema("{\"type\":\"object\",\"properties\":{\"unit\":{\"enum\":[\"celsius\",\"fahrenheit\"]},"
                + "\"n\":{\"enum\":[1,12]},\"note\":{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]},"
                + "\"v\":{\"const\":{\"k\":[true]}},\"flag\":{\"type\":\"boolean\"}},\"additionalProperties\":false}");
        assertThat(whole(s, "{\"unit\":\"celsius\",\"n\":12,\"note\":null,\"v\":{\"k\":[true]},\"flag\":false}")).isTrue();
        assertThat(whole(s, "{\"n\":1,\"note\":\"hi\"}")).as("1 ends where 12 could go on").isTrue();
        assertThat(whole(s, "{\"unit\":\"kelvin\"}")).isFalse();
        assertThat(whole(s, "{\"n\":2}")).isFalse();
        assertThat(whole(s, "{\"note\":3}")).isFalse();
        assertThat(whole(s, "{\"v\":{\"k\":[false]}}")).isFalse();
    }

    @Test
    void stringLengthsCountCharactersNotBytes() {
        JsonSchema s = schema("{\"type\":\"object\",\"properties\":{\"code\":{\"type\":\"string\",\"minLength\":2,"
                + "\"maxLength\":3}}}");
        assertThat(whole(s, "{\"code\":\"日本語\"}")).isTrue();
        assertThat(whole(s, "{\"code\":\"\\u00e9\\n\"}")).isTrue();
        assertThat(whole(s, "{\"code\":\"a\"}")).isFalse();
        assertThat(whole(s, "{\"code\":\"abcd\"}")).isFalse();
    }

    @Test
    void arraysRootsAndRecursiveDefinitions() {
        JsonSchema tree = schema("{\"$ref\":\"#/$defs/node\",\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":"
                + "{\"v\":{\"type\":\"integer\"},\"kids\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/node\"}}},"
                + "\"required\":[\"v\"],\"additionalProperties\":false}}}");
        assertThat(whole(tree, "{\"v\":1,\"kids\":[{\"v\":2},{\"v\":3,\"kids\":[{\"v\":4,\"kids\":[]}]}]}")).isTrue();
        assertThat(whole(tree, "{\"v\":1,\"kids\":[{\"w\":2}]}")).isFalse();
        JsonSchema list = schema("{\"type\":\"array\",\"items\":{\"type\":\"number\"},\"minItems\":1}");
        assertThat(whole(list, "[1, 2.5]")).isTrue();
        assertThat(whole(list, "[]")).isFalse();
    }

    @Test
    void nestingAndBlanksAreBounded() {
        String deep = "{\"a\":" + "[".repeat(JsonMatcher.MAX_DEPTH) + "]".repeat(JsonMatcher.MAX_DEPTH) + "}";
        assertThat(whole(ANY_OBJECT, deep)).isFalse();
        assertThat(whole(ANY_OBJECT, "{" + " ".repeat(JsonMatcher.MAX_WHITESPACE) + "}")).isTrue();
        assertThat(whole(ANY_OBJECT, "{" + " ".repeat(JsonMatcher.MAX_WHITESPACE + 1) + "}")).isFalse();
        assertThat(whole(ANY_OBJECT, "  {}")).as("one blank at most before the value").isFalse();
    }

    @Test
    void aCopyGoesOnAloneFromWhereItsSourceWas() {
        JsonMatcher a = new JsonMatcher(ANY_OBJECT);
        for (byte b : "{\"key\":[1,{\"x\":\"ab".getBytes(StandardCharsets.UTF_8)) {
            assertThat(a.feed(b)).isTrue();
        }
        JsonMatcher b = new JsonMatcher(ANY_OBJECT);
        b.copyFrom(a);
        for (byte x : "c\"}]}".getBytes(StandardCharsets.UTF_8)) {
            assertThat(b.feed(x)).isTrue();
        }
        assertThat(b.done()).isTrue();
        assertThat(a.done()).isFalse();
        assertThat(a.feed((byte) '"')).as("the source did not move").isTrue();
    }

    /**
     * No byte is taken that leaves nothing to follow it: a random walk over the bytes each state
     * takes, through schemas with closed keys, short strings, enums and required keys, always either
     * finds a next byte or is done. (A walk that dead-ends would leave the sampler no token.)
     */
    @Test
    void everyTakenByteLeavesAWayOn() {
        List<JsonSchema> schemas = List.of(ANY_OBJECT, schema("{\"type\":\"object\",\"properties\":{\"unit\":"
                + "{\"enum\":[\"celsius\",\"fahrenheit\"]},\"code\":{\"type\":\"string\",\"maxLength\":2},"
                + "\"n\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"maxItems\":2}},"
                + "\"required\":[\"unit\",\"code\"],\"additionalProperties\":false}"));
        java.util.Random random = new java.util.Random(5);
        JsonMatcher trial = new JsonMatcher(ANY_OBJECT);
        for (JsonSchema s : schemas) {
            for (int walk = 0; walk < 300; walk++) {
                JsonMatcher m = new JsonMatcher(s);
                trial = new JsonMatcher(s);
                for (int step = 0; step < 400 && !m.done(); step++) {
                    List<Byte> next = new java.util.ArrayList<>();
                    for (int b = 0; b < 128; b++) {
                        trial.copyFrom(m);
                        if (trial.feed((byte) b)) {
                            next.add((byte) b);
                        }
                    }
                    assertThat(next).as("walk %d, step %d", walk, step).isNotEmpty();
                    m.feed(next.get(random.nextInt(next.size())));
                }
            }
        }
    }

    /**
     * A string's {@code pattern} holds its decoded value, raw or escaped, found anywhere unless
     * anchored: random walks over every byte (UTF-8 of é included) always have a way on, and each
     * value they end with, read back by Jackson, is one java.util.regex finds the pattern in.
     */
    @Test
    void aPatternHoldsTheDecodedStringAndEveryWalkHasAWayOn() throws Exception {
        JsonSchema s = schema("{\"type\":\"object\",\"properties\":{\"zip\":{\"type\":\"string\",\"pattern\":"
                + "\"^[0-9]{5}$\"},\"code\":{\"type\":\"string\",\"pattern\":\"é?[a-c]{2}\"},\"tag\":{\"type\":"
                + "\"string\",\"pattern\":\"^x\\\\n?\"}},\"required\":[\"zip\",\"code\",\"tag\"],"
                + "\"additionalProperties\":false}");
        assertThat(feeds(s, "{\"zip\":\"1234\"")).as("four digits cannot close").isFalse();
        assertThat(feeds(s, "{\"zip\":\"\\u00312345\",\"code\":\"..\\u00e9ab\",\"tag\":\"x\\n\"}")).isTrue();
        assertThat(feeds(s, "{\"zip\":\"12345\",\"code\":\"éa\"")).as("one of a-c after é is not two").isFalse();
        assertThat(feeds(s, "{\"zip\":\"12345\",\"code\":\"ébc\"")).isTrue();
        assertThat(feeds(s, "{\"zip\":\"12a")).isFalse();
        assertThat(feeds(s, "{\"zip\":\"\\u0061")).as("an escape that writes what may not come").isFalse();
        assertThat(feeds(s, "{\"zip\":\"\\ud83d")).as("a surrogate half").isFalse();
        java.util.regex.Pattern zip = java.util.regex.Pattern.compile("^[0-9]{5}$");
        java.util.regex.Pattern code = java.util.regex.Pattern.compile("é?[a-c]{2}");
        java.util.Random random = new java.util.Random(11);
        JsonMatcher trial = new JsonMatcher(s);
        int whole = 0;
        for (int walk = 0; walk < 200; walk++) {
            JsonMatcher m = new JsonMatcher(s);
            java.io.ByteArrayOutputStream written = new java.io.ByteArrayOutputStream();
            for (int step = 0; step < 300 && !m.done(); step++) {
                List<Byte> next = new java.util.ArrayList<>();
                for (int b = 0; b < 256; b++) {
                    trial.copyFrom(m);
                    if (trial.feed((byte) b)) {
                        next.add((byte) b);
                    }
                }
                assertThat(next).as("walk %d after %s", walk, written).isNotEmpty();
                // now and then a byte that closes something, so that walks end
                List<Byte> closing = next.stream().filter(x -> x == '"' || x == '}' || x == ',').toList();
                byte b = !closing.isEmpty() && random.nextInt(4) == 0 ? closing.get(random.nextInt(closing.size()))
                        : next.get(random.nextInt(next.size()));
                m.feed(b);
                written.write(b);
            }
            if (m.done()) {
                whole++;
                com.fasterxml.jackson.databind.JsonNode value = new com.fasterxml.jackson.databind.ObjectMapper()
                        .readTree(written.toByteArray());
                assertThat(zip.matcher(value.get("zip").asText()).find()).as(value.toString()).isTrue();
                assertThat(code.matcher(value.get("code").asText()).find()).as(value.toString()).isTrue();
                assertThat(value.get("tag").asText()).startsWith("x");
            }
        }
        assertThat(whole).isPositive();
    }

    /** An integer's bounds are held digit by digit, and a walk through them always has a way on. */
    @Test
    void anIntegersBoundsAreHeldDigitByDigit() throws Exception {
        JsonSchema s = schema("{\"type\":\"object\",\"properties\":{\"month\":{\"type\":\"integer\",\"minimum\":1,"
                + "\"maximum\":12},\"delta\":{\"type\":\"integer\",\"exclusiveMinimum\":-3.5,\"exclusiveMaximum\":40}},"
                + "\"required\":[\"month\",\"delta\"],\"additionalProperties\":false}");
        assertThat(feeds(s, "{\"month\":12,\"delta\":-3}")).isTrue();
        assertThat(feeds(s, "{\"month\":13")).as("past the maximum").isFalse();
        assertThat(feeds(s, "{\"month\":0")).as("below the minimum").isFalse();
        assertThat(feeds(s, "{\"month\":1,")).isTrue();
        assertThat(feeds(s, "{\"month\":1,\"delta\":40")).as("an exclusive maximum").isFalse();
        assertThat(feeds(s, "{\"month\":1,\"delta\":-4")).as("below an exclusive minimum").isFalse();
        assertThat(feeds(s, "{\"month\":1,\"delta\":-")).isTrue();
        java.util.Random random = new java.util.Random(3);
        JsonMatcher trial = new JsonMatcher(s);
        int whole = 0;
        for (int walk = 0; walk < 200; walk++) {
            JsonMatcher m = new JsonMatcher(s);
            StringBuilder written = new StringBuilder();
            for (int step = 0; step < 200 && !m.done(); step++) {
                List<Byte> next = new java.util.ArrayList<>();
                for (int b = 0; b < 128; b++) {
                    trial.copyFrom(m);
                    if (trial.feed((byte) b)) {
                        next.add((byte) b);
                    }
                }
                assertThat(next).as("walk %d after %s", walk, written).isNotEmpty();
                byte b = next.get(random.nextInt(next.size()));
                m.feed(b);
                written.append((char) b);
            }
            if (m.done()) {
                whole++;
                com.fasterxml.jackson.databind.JsonNode value = new com.fasterxml.jackson.databind.ObjectMapper()
                        .readTree(written.toString());
                assertThat(value.get("month").asInt()).as(written.toString()).isBetween(1, 12);
                assertThat(value.get("delta").asInt()).as(written.toString()).isBetween(-3, 39);
            }
        }
        assertThat(whole).isPositive();
    }

    private static boolean feeds(JsonSchema s, String text) {
        JsonMatcher m = new JsonMatcher(s);
        for (byte b : text.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            if (!m.feed(b)) {
                return false;
            }
        }
        return true;
    }
}
