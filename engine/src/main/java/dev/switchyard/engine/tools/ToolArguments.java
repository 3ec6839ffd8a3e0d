package dev.switchyard.engine.tools;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Arguments as the JSON object text OpenAI's {@code function.arguments} holds: checked when a format
 * writes JSON, built when it writes one value per parameter.
 */
final class ToolArguments {

    /** Big decimals keep a number's digits as the model wrote them through a re-serialization. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private ToolArguments() {
    }

    /** {@code text} trimmed when it is one JSON object, else null (a cut-off or malformed call). */
    static String object(String text) {
        String trimmed = text.strip();
        JsonNode node = parse(trimmed);
        return node != null && node.isObject() ? trimmed : null;
    }

    /** The JSON value {@code text} is, or null when it is not one. */
    static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /**
     * The JSON objects {@code text} holds one after another (whitespace between them), those of a
     * list counted one by one, or null when it holds anything else: a block of calls as Hermes-style
     * formats write it.
     */
    static List<JsonNode> objects(String text) {
        List<JsonNode> out = new ArrayList<>();
        try (JsonParser parser = JSON.createParser(text)) {
            for (JsonToken t = parser.nextToken(); t != null; t = parser.nextToken()) {
                JsonNode node = t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY ? JSON.readTree(parser) : null;
                if (node == null) {
                    return null;
                }
                if (node.isArray()) {
                    for (JsonNode element : node) {
                        if (!element.isObject()) {
                            return null;
                        }
                        out.add(element);
                    }
                } else {
                    out.add(node);
                }
            }
        } catch (IOException e) {
            return null;
        }
        return out;
    }

    /**
     * A call from the object a JSON format writes, {@code {"name": ..., "arguments": {...}}}
     * ({@code "parameters"} in Llama's and Cohere's spelling); null when it is not one. Arguments
     * written as a string holding an object are taken as that object.
     */
    static ToolCall call(JsonNode node, String nameField, String argumentsField) {
        JsonNode name = node.get(nameField);
        JsonNode arguments = node.has(argumentsField) ? node.get(argumentsField) : node.get("parameters");
        if (name == null || !name.isTextual() || name.textValue().isBlank()) {
            return null;
        }
        if (arguments == null || arguments.isNull()) {
            return new ToolCall(name.textValue(), "{}");
        }
        if (arguments.isTextual()) {
            arguments = parse(arguments.textValue());
        }
        if (arguments == null || !arguments.isObject()) {
            return null;
        }
        JsonNode id = node.get("id");
        return new ToolCall(name.textValue(), write(arguments), id != null && id.isTextual() ? id.textValue() : null);
    }

    /** An empty object to add parameters to. */
    static ObjectNode newObject() {
        return JSON.createObjectNode();
    }

    /**
     * A parameter written as bare text: the string itself where its schema says string, else the JSON
     * value it spells ({@code 42}, {@code true}, {@code ["a"]}), else the string. Formats that write
     * values this way (Qwen3-Coder, GLM, MiniMax) leave types to the schema, as their own parsers do.
     */
    static JsonNode value(String text, boolean declaredString) {
        if (declaredString) {
            return TextNode.valueOf(text);
        }
        JsonNode parsed = parse(text.strip());
        return parsed == null || parsed.isMissingNode() ? TextNode.valueOf(text) : parsed;
    }

    static String write(JsonNode arguments) {
        try {
            return JSON.writeValueAsString(arguments);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of parsed values always serializes", e);
        }
    }
}
