package dev.switchyard.engine.tools;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON types a request's tools declare for their parameters: what formats that write argument
 * values as bare text (XML-style parameters) need to tell the string {@code "42"} from the number.
 * Immutable.
 */
public final class ToolSchemas {

    public static final ToolSchemas NONE = new ToolSchemas(Map.of());

    /** function name -> parameter name -> declared {@code type} (a string, or a list of them). */
    private final Map<String, Map<String, Object>> types;

    private ToolSchemas(Map<String, Map<String, Object>> types) {
        this.types = types;
    }

    /** From OpenAI-shaped tool definitions ({@code {"type": "function", "function": {"name", "parameters"}}}). */
    public static ToolSchemas of(List<Map<String, Object>> tools) {
        if (tools == null) {
            return NONE;
        }
        Map<String, Map<String, Object>> types = new HashMap<>();
        for (Map<String, Object> tool : tools) {
            if (!(tool.get("function") instanceof Map<?, ?> function) || !(function.get("name") instanceof String name)) {
                continue;
            }
            Map<String, Object> params = new HashMap<>();
            if (function.get("parameters") instanceof Map<?, ?> schema
                    && schema.get("properties") instanceof Map<?, ?> properties) {
                properties.forEach((key, value) -> {
                    if (key instanceof String k && value instanceof Map<?, ?> property && property.get("type") != null) {
                        params.put(k, property.get("type"));
                    }
                });
            }
            types.put(name, Map.copyOf(params));
        }
        return new ToolSchemas(Map.copyOf(types));
    }

    /**
     * Whether {@code function}'s parameter {@code parameter} is declared a string only: its text is
     * then the value as it stands. False when it is undeclared or may be something else.
     */
    public boolean isString(String function, String parameter) {
        Map<String, Object> params = types.get(function);
        Object type = params == null ? null : params.get(parameter);
        return "string".equals(type) || (type instanceof List<?> l && l.size() == 1 && "string".equals(l.getFirst()));
    }
}
