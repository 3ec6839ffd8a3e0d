package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.engine.tools.ToolSchemas;
import dev.switchyard.server.serving.ForcedCalls;
import dev.switchyard.server.serving.InvalidRequestException;
import dev.switchyard.server.serving.ServedModel;
import dev.switchyard.server.serving.ToolUse;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A chat request's {@code tools}, {@code tool_choice} and {@code parallel_tool_calls}, checked: what
 * goes to the chat template, and what generation needs to return the calls.
 *
 * <p>{@code tool_choice} {@code "auto"} (the default with tools) lets the model call or answer;
 * {@code "none"} leaves the tools out; {@code "required"} and a named function make every reply
 * one call. Where the model's call syntax writes arguments as JSON, calls are held token by token
 * to it and to each tool's schema ({@link ForcedCalls}), under auto from the call's opening on.
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
        return parse(f, model, mapper, false);
    }

    /**
     * As above; {@code flat} for the Responses API's shape, where a function tool's name, description,
     * parameters and strict sit on the tool itself, and a named {@code tool_choice} is
     * {@code {"type": "function", "name": ...}}. The template gets chat's shape either way.
     */
    static Offer parse(Fields f, ServedModel model, ObjectMapper mapper, boolean flat) {
        JsonNode tools = f.node("tools");
        if (tools != null && !tools.isArray()) {
            throw ApiError.invalid("tools", "tools must be a list of tools");
        }
        JsonNode choice = f.node("tool_choice");
        String mode = mode(choice, flat);
        boolean parallel = f.bool("parallel_tool_calls", true);
        if (tools == null || tools.isEmpty() || mode.equals("none")) {
            if (!mode.equals("none") && !mode.equals("auto")) {
                throw ApiError.invalid("tool_choice", "tool_choice " + mode + " needs tools to call");
            }
            return null;
        }
        List<Map<String, Object>> definitions = new java.util.ArrayList<>(tools.size());
        Set<String> names = new LinkedHashSet<>();
        for (int i = 0; i < tools.size(); i++) {
            definitions.add(definition(tools.get(i), "tools[" + i + "]", names, model, mapper, flat));
        }
        if (model.toolCallSyntax() == null) {
            throw ApiError.invalid("tools", "this model's chat template writes tool calls in no form this server reads, "
                    + "so it cannot return them as tool_calls; send the request without tools");
        }
        boolean forced = !mode.equals("auto");
        ToolUse.HeldCalls held;
        try {
            JsonNode named = flat ? choice : choice == null ? null : choice.path("function");
            held = ForcedCalls.of(model, definitions, forced,
                    mode.equals("function") ? named.path("name").textValue() : null,
                    mode.equals("function") ? (flat ? "tool_choice.name" : "tool_choice.function.name") : "tool_choice",
                    i -> "tools[" + i + (flat ? "].parameters" : "].function.parameters"));
        } catch (InvalidRequestException e) {
            throw ApiError.of(e);
        }
        return new Offer(List.copyOf(definitions), new ToolUse(ToolSchemas.of(definitions), parallel, held, forced));
    }

    /** {@code tool_choice} as a word: auto (its default), none, required, or function. */
    private static String mode(JsonNode choice, boolean flat) {
        if (choice == null) {
            return "auto";
        }
        if (choice.isTextual()) {
            String mode = choice.textValue();
            if (mode.equals("auto") || mode.equals("none") || mode.equals("required")) {
                return mode;
            }
            throw ApiError.invalid("tool_choice", "tool_choice must be \"none\", \"auto\", \"required\" or a "
                    + "function, got \"" + mode + "\"");
        }
        if (choice.isObject() && "function".equals(choice.path("type").asText())
                && (flat ? choice : choice.path("function")).path("name").isTextual()) {
            return "function";
        }
        throw ApiError.invalid("tool_choice", "tool_choice must be a string or " + (flat
                ? "{\"type\": \"function\", \"name\": ...}" : "{\"type\": \"function\", \"function\": {\"name\": ...}}"));
    }

    private static Map<String, Object> definition(JsonNode tool, String param, Set<String> names, ServedModel model,
                                                  ObjectMapper mapper, boolean flat) {
        if (!tool.isObject()) {
            throw ApiError.invalid(param, param + " must be an object");
        }
        String type = tool.path("type").asText(null);
        if (!"function".equals(type)) {
            throw ApiError.unsupported(param + ".type", "tools of type '" + type + "' (only function)");
        }
        JsonNode function = flat ? tool : tool.get("function");
        if (function == null || !function.isObject()) {
            throw ApiError.invalid(param + ".function", param + ".function must be an object");
        }
        String at = flat ? param + "." : param + ".function.";
        Fields ff = new Fields(function, at);
        String name = ff.string("name");
        if (name == null || !ToolUse.FUNCTION_NAME.matcher(name).matches()) {
            throw ApiError.invalid(at + "name", at + "name must be 1 to 64 letters, digits, "
                    + "underscores or dashes, got " + (name == null ? "none" : "\"" + name + "\""));
        }
        if (!names.add(name)) {
            throw ApiError.invalid(at + "name", "two tools are named \"" + name + "\"");
        }
        String description = ff.string("description");
        JsonNode parameters = ff.node("parameters");
        if (parameters != null && !parameters.isObject()) {
            throw ApiError.invalid(at + "parameters", at + "parameters must be a JSON Schema object");
        }
        Boolean strict = ff.bool("strict");
        if (model.tokenizer().containsSpecialText(tool.toString())) {
            throw ApiError.invalid(param, param + " may not contain the model's control tokens");
        }
        if (!flat) {
            return mapper.convertValue(tool, OBJECT);
        }
        // chat's shape, which templates read
        Map<String, Object> inner = new java.util.LinkedHashMap<>();
        inner.put("name", name);
        if (description != null) {
            inner.put("description", description);
        }
        if (parameters != null) {
            inner.put("parameters", mapper.convertValue(parameters, OBJECT));
        }
        if (strict != null) {
            inner.put("strict", strict);
        }
        Map<String, Object> chatShape = new java.util.LinkedHashMap<>();
        chatShape.put("type", "function");
        chatShape.put("function", inner);
        return chatShape;
    }
}
