package dev.switchyard.server.serving;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.engine.structured.JsonSchema;
import dev.switchyard.engine.structured.JsonSchemaCompiler;
import dev.switchyard.engine.structured.SchemaException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * How a request's tool calls are held, as both transports ask for it. Where the model's call syntax
 * writes arguments as JSON, every call is held token by token: its name to one of the tools (the
 * one named, under a named {@code tool_choice}), its arguments to that tool's parameters' schema. A
 * schema that cannot be enforced holds its arguments to a JSON object only, unless the call is
 * forced and the tool {@code strict}, which asks for the schema and is refused naming what cannot
 * be held. Where the syntax writes arguments as markup, calls are read as written, and forcing one
 * is refused.
 */
public final class ForcedCalls {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String UNSUPPORTED = "unsupported_parameter";

    private ForcedCalls() {
    }

    /**
     * @param definitions     the tools in OpenAI's shape ({@code {"type": "function", "function": {...}}})
     * @param forced          whether every reply must call ({@code required} or a named function)
     * @param named           the function named, or null
     * @param choiceParam     the field that forces the call, for errors
     * @param parametersParam the field holding tool {@code i}'s parameters, for errors
     * @return the calls held, or null where the syntax cannot hold them (and no call is forced)
     */
    public static ToolUse.HeldCalls of(ServedModel model, List<Map<String, Object>> definitions, boolean forced,
                                       String named, String choiceParam, IntFunction<String> parametersParam) {
        if (!model.toolCallSyntax().forcesCalls()) {
            if (!forced) {
                return null;
            }
            throw new InvalidRequestException(choiceParam, "a call required or named is not supported for this "
                    + "model: its calls (" + model.toolCallSyntax().describe() + ") write arguments as markup, not "
                    + "JSON, so a call cannot be held to them; let the model choose (auto)", UNSUPPORTED);
        }
        List<String> names = new ArrayList<>();
        List<JsonSchema> arguments = new ArrayList<>();
        for (int i = 0; i < definitions.size(); i++) {
            Map<String, Object> function = function(definitions.get(i));
            String name = (String) function.get("name");
            if (named == null || named.equals(name)) {
                names.add(name);
                arguments.add(arguments(function, forced, parametersParam.apply(i)));
            }
        }
        if (names.isEmpty()) {
            throw new InvalidRequestException(choiceParam, "the tool named \"" + named + "\" is not among the tools");
        }
        return new ToolUse.HeldCalls(names, arguments);
    }

    private static JsonSchema arguments(Map<String, Object> function, boolean forced, String param) {
        Object parameters = function.get("parameters");
        if (parameters == null) {
            return JsonSchema.ObjectSchema.anyObject();
        }
        try {
            return JsonSchemaCompiler.compile(JSON.valueToTree(parameters));
        } catch (SchemaException e) {
            if (forced && Boolean.TRUE.equals(function.get("strict"))) {
                throw new InvalidRequestException(param, e.getMessage()
                        + "; a strict tool's arguments must follow its schema exactly", UNSUPPORTED);
            }
            return JsonSchema.ObjectSchema.anyObject();
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> function(Map<String, Object> definition) {
        return (Map<String, Object>) definition.get("function");
    }
}
