package dev.switchyard.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.engine.structured.JsonSchema;
import dev.switchyard.engine.structured.JsonSchemaCompiler;
import dev.switchyard.engine.structured.SchemaException;

/**
 * OpenAI's {@code response_format}: {@code text} (free output), {@code json_object} (any JSON
 * object) or {@code json_schema} (a value of {@code json_schema.schema}), as the schema the reply is
 * held to token by token; what the schema says that cannot be enforced is a 400 naming it.
 */
final class ResponseFormats {

    private ResponseFormats() {
    }

    /** The schema the reply must follow, or null for free text. */
    static JsonSchema parse(Fields f) {
        return typed(f.node("response_format"), "response_format", false);
    }

    /**
     * The Responses API's {@code text.format}: the same three types, a schema's name and schema on the
     * format itself; null for free text.
     */
    static JsonSchema parseText(Fields f) {
        JsonNode text = f.node("text");
        if (text == null) {
            return null;
        }
        if (!text.isObject()) {
            throw ApiError.invalid("text", "text must be an object");
        }
        return typed(text.get("format"), "text.format", true);
    }

    /** A format at {@code param} by its type; {@code flat}: a schema's name and schema sit on the format. */
    private static JsonSchema typed(JsonNode format, String param, boolean flat) {
        if (format == null || format.isNull()) {
            return null;
        }
        if (!format.isObject()) {
            throw ApiError.invalid(param, param + " must be an object with a type");
        }
        String type = format.path("type").asText("");
        return switch (type) {
            case "text" -> null;
            case "json_object" -> JsonSchema.ObjectSchema.anyObject();
            case "json_schema" -> flat ? schema(format, param) : schema(format.get("json_schema"), param + ".json_schema");
            default -> throw ApiError.invalid(param + ".type", param + ".type must be \"text\", "
                    + "\"json_object\" or \"json_schema\", got \"" + type + "\"");
        };
    }

    /** A named schema: {@code holder} (at {@code param}) holds its name and schema. */
    private static JsonSchema schema(JsonNode holder, String param) {
        if (holder == null || !holder.isObject()) {
            throw ApiError.invalid(param, param + " must be an object with a name and a schema");
        }
        JsonNode name = holder.get("name");
        if (name != null && !name.isTextual()) {
            throw ApiError.invalid(param + ".name", param + ".name must be a string");
        }
        JsonNode schema = holder.get("schema");
        if (schema == null) {
            throw ApiError.invalid(param + ".schema", param + ".schema is required");
        }
        try {
            return JsonSchemaCompiler.compile(schema);
        } catch (SchemaException e) {
            throw ApiError.unsupportedAs(param + ".schema", e.getMessage());
        }
    }
}
