package dev.switchyard.server.openai;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Typed access to a request object's fields, each failure a 400 naming the field. Absent and
 * {@code null} fields read as null (OpenAI treats an explicit null as "use the default").
 */
final class Fields {

    private final JsonNode object;
    private final String prefix;

    Fields(JsonNode object) {
        this(object, "");
    }

    /** @param prefix put in front of field names in errors, e.g. {@code stream_options.} */
    Fields(JsonNode object, String prefix) {
        this.object = object;
        this.prefix = prefix;
    }

    boolean has(String name) {
        JsonNode n = object.get(name);
        return n != null && !n.isNull();
    }

    JsonNode node(String name) {
        JsonNode n = object.get(name);
        return n == null || n.isNull() ? null : n;
    }

    String string(String name) {
        JsonNode n = node(name);
        if (n == null) {
            return null;
        }
        if (!n.isTextual()) {
            throw ApiError.invalid(prefix + name, prefix + name + " must be a string");
        }
        return n.textValue();
    }

    Integer integer(String name) {
        JsonNode n = node(name);
        if (n == null) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw ApiError.invalid(prefix + name, prefix + name + " must be an integer, got " + n);
        }
        return n.intValue();
    }

    Long longInteger(String name) {
        JsonNode n = node(name);
        if (n == null) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw ApiError.invalid(prefix + name, prefix + name + " must be a 64-bit integer, got " + n);
        }
        return n.longValue();
    }

    Double number(String name) {
        JsonNode n = node(name);
        if (n == null) {
            return null;
        }
        if (!n.isNumber()) {
            throw ApiError.invalid(prefix + name, prefix + name + " must be a number, got " + n);
        }
        return n.doubleValue();
    }

    Boolean bool(String name) {
        JsonNode n = node(name);
        if (n == null) {
            return null;
        }
        if (!n.isBoolean()) {
            throw ApiError.invalid(prefix + name, prefix + name + " must be true or false, got " + n);
        }
        return n.booleanValue();
    }

    boolean bool(String name, boolean fallback) {
        Boolean b = bool(name);
        return b == null ? fallback : b;
    }

    /** An int array element at {@code param}: integral and in int range. */
    static int intElement(JsonNode n, String param) {
        if (n == null || !n.isIntegralNumber() || !n.canConvertToInt()) {
            throw ApiError.invalid(param, param + " must be an integer token id, got " + n);
        }
        return n.intValue();
    }
}
