package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.engine.tools.ToolSchemas;
import dev.switchyard.server.serving.ServedModel;
import dev.switchyard.server.serving.ToolUse;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A chat request's {@code tools}, {@code tool_choice} and {@code parallel_tool_calls}, checked: what
 * goes to the chat template, and what generation needs to return the calls.
 *
 * <p>Only {@code tool_choice} {@code "auto"} (the default with tools) and {@code "none"} are
 * honoured: {@code "required"} and a named function promise a call, which only decoding
 * constrained to the call syntax can keep, so they are refused rather than quietly treated as auto.
 * For the same reason a function's {@code strict} flag is accepted but not enforced: arguments are
 * what the model wrote, checked to be a JSON object and no more.
 */
final class ChatTools {

    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {
    };

    /**
     * Tools offered to the model.
     *
     * @param definitions the definitions as the template receives them
     * @param use         what generation needs to take the calls out
     */
    record Offer(List<Map<String, Object>> definitions, ToolUse use) {
    }

    private ChatTools() {
    }

    /** The tools offered, or null when none are (absent, empty, or {@code tool_choice} none). */
    static Offer parse(Fields f, ServedModel model, ObjectMapper mapper) {
        JsonNode tools = f.node("tools");
        if (tools != null && !tools.isArray()) {
            throw ApiError.invalid("tools", "tools must be a list of tools");
        }
        boolean offered = choice(f.node("tool_choice"));
        boolean parallel = f.bool("parallel_tool_calls", true);
        if (tools == null || tools.isEmpty() || !offered) {
            return null;
        }
        List<Map<String, Object>> definitions = new java.util.ArrayList<>(tools.size());
        Set<String> names = new HashSet<>();
        for (int i = 0; i < tools.size(); i++) {
            definitions.add(definition(tools.get(i), "tools[" + i + "]", names, model, mapper));
        }
        if (model.toolCallSyntax() == null) {
            throw ApiError.invalid("tools", "this model's chat template writes tool calls in no form this server reads, "
                    + "so it cannot return them as tool_calls; send the request without tools");
        }
        return new Offer(List.copyOf(definitions), new ToolUse(ToolSchemas.of(definitions), parallel));
    }

    /** Whether tools are offered under {@code tool_choice} (absent: auto). */
    private static boolean choice(JsonNode choice) {
        if (choice == null) {
            return true;
        }
        if (choice.isTextual()) {
            switch (choice.textValue()) {
                case "auto":
                    return true;
                case "none":
                    return false;
                case "required":
                    throw ApiError.unsupported("tool_choice", "tool_choice \"required\" (a call guaranteed needs "
                            + "constrained decoding; use \"auto\")");
                default:
                    throw ApiError.invalid("tool_choice", "tool_choice must be \"none\", \"auto\", \"required\" or a "
                            + "function, got \"" + choice.textValue() + "\"");
            }
        }
        if (choice.isObject()) {
            throw ApiError.unsupported("tool_choice", "tool_choice naming a function (a call guaranteed needs "
                    + "constrained decoding; use \"auto\")");
        }
        throw ApiError.invalid("tool_choice", "tool_choice must be a string or an object");
    }

    private static Map<String, Object> definition(JsonNode tool, String param, Set<String> names, ServedModel model,
                                                  ObjectMapper mapper) {
        if (!tool.isObject()) {
            throw ApiError.invalid(param, param + " must be an object");
        }
        String type = tool.path("type").asText(null);
        if (!"function".equals(type)) {
            throw ApiError.unsupported(param + ".type", "tools of type '" + type + "' (only function)");
        }
        JsonNode function = tool.get("function");
        if (function == null || !function.isObject()) {
            throw ApiError.invalid(param + ".function", param + ".function must be an object");
        }
        Fields ff = new Fields(function, param + ".function.");
        String name = ff.string("name");
        if (name == null || !ToolUse.FUNCTION_NAME.matcher(name).matches()) {
            throw ApiError.invalid(param + ".function.name", param + ".function.name must be 1 to 64 letters, digits, "
                    + "underscores or dashes, got " + (name == null ? "none" : "\"" + name + "\""));
        }
        if (!names.add(name)) {
            throw ApiError.invalid(param + ".function.name", "two tools are named \"" + name + "\"");
        }
        ff.string("description");
        JsonNode parameters = ff.node("parameters");
        if (parameters != null && !parameters.isObject()) {
            throw ApiError.invalid(param + ".function.parameters", param + ".function.parameters must be a JSON Schema "
                    + "object");
        }
        ff.bool("strict");
        if (model.tokenizer().containsSpecialText(tool.toString())) {
            throw ApiError.invalid(param, param + " may not contain the model's control tokens");
        }
        return mapper.convertValue(tool, OBJECT);
    }
}
