package dev.switchyard.engine.structured;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What a schema may say: what cannot be enforced is refused, naming where, never dropped. */
class JsonSchemaCompilerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"type\":\"string\"}|''|the root must be an object or an array",
            "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"number\",\"minimum\":0}}}|/properties/n|'minimum' on a number",
            "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":3,\"maximum\":2}}}|/properties/n|no integer",
            "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\",\"maximum\":1e18}}}|/properties/n/maximum|past",
            "{\"type\":\"object\",\"properties\":{\"n\":{\"pattern\":\"a\"}}}|/properties/n|'pattern' without a type",
            "{\"type\":\"object\",\"properties\":{\"s\":{\"type\":\"string\",\"pattern\":\"^a\",\"maxLength\":3}}}"
                    + "|/properties/s|'pattern' beside 'minLength' or 'maxLength'",
            "{\"type\":\"object\",\"properties\":{\"s\":{\"type\":\"string\",\"pattern\":\"^ab(?=c)\"}}}"
                    + "|/properties/s/pattern|'pattern' at character 3: '(?=': lookaround",
            "{\"type\":\"object\",\"properties\":{\"s\":{\"type\":\"string\",\"pattern\":7}}}"
                    + "|/properties/s/pattern|must be a string",
            "{\"allOf\":[{\"type\":\"object\"}]}|''|'allOf'",
            "{\"type\":\"object\",\"properties\":{\"x\":{\"anyOf\":[{\"type\":\"object\"},{\"type\":\"object\"}]}}}"
                    + "|/properties/x/anyOf|start alike",
            "{\"type\":\"object\",\"properties\":{\"x\":{\"$ref\":\"#/$defs/missing\"}}}|/properties/x|refers to nothing",
            "{\"type\":\"object\",\"properties\":{\"x\":{\"$ref\":\"https://example.com/s.json\"}}}"
                    + "|/properties/x/$ref|only references",
            "{\"type\":\"object\",\"required\":[\"a\"]}|/required|'a' is required",
            "{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"decimal\"}}}|/properties/x/type|unknown type",
            "{\"type\":\"array\",\"minItems\":3,\"maxItems\":2}|''|minItems is above maxItems",
            "{\"type\":\"object\",\"properties\":{\"x\":false}}|/properties/x|false allows no value"})
    void whatCannotBeEnforcedIsRefusedWithItsPlace(String schema, String pointer, String message) throws Exception {
        assertThatThrownBy(() -> JsonSchemaCompiler.compile(JSON.readTree(schema)))
                .isInstanceOfSatisfying(SchemaException.class, e -> {
                    assertThat(e.pointer()).isEqualTo(pointer);
                    assertThat(e.getMessage()).contains(message);
                });
    }

    @Test
    void annotationsAndOptionalFieldsAsPydanticWritesThemCompile() throws Exception {
        String pydantic = "{\"$defs\":{\"Unit\":{\"enum\":[\"c\",\"f\"],\"title\":\"Unit\",\"type\":\"string\"}},"
                + "\"properties\":{\"city\":{\"title\":\"City\",\"type\":\"string\"},\"when\":{\"anyOf\":[{\"format\":"
                + "\"date-time\",\"type\":\"string\"},{\"type\":\"null\"}],\"default\":null,\"title\":\"When\"},"
                + "\"unit\":{\"$ref\":\"#/$defs/Unit\"}},\"required\":[\"city\",\"unit\"],\"title\":\"Weather\","
                + "\"type\":\"object\",\"additionalProperties\":false}";
        JsonSchema s = JsonSchemaCompiler.compile(JSON.readTree(pydantic));
        assertThat(JsonMatcherTest.whole(s, "{\"city\":\"Paris\",\"when\":null,\"unit\":\"c\"}")).isTrue();
        assertThat(JsonMatcherTest.whole(s, "{\"city\":\"Paris\",\"unit\":\"k\"}")).isFalse();
    }
}
