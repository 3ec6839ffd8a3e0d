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
 * The call a reply must make under {@code tool_choice} {@code required} or a named function, as
 * both transports ask for it: any of the tools ({@code required}; arguments any JSON object, since
 * each tool has its own schema), or the one named, its arguments held to its parameters' schema. A
 * schema that cannot be enforced holds them to a JSON object only, unless the tool is
 * {@code strict}, which asks for the schema and is refused naming what cannot be held.
 */
public final class ForcedCalls {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String UNSUPPORTED = "unsupported_parameter";

    private ForcedCalls() {
    }

    /**
     * @param definitions     the tools in OpenAI's shape ({@code {"type": "function", "function": {...}}})
     * @param named           the function named, or null for {@code required}
     * @param choiceParam     the field that names it, for errors
     * @param parametersParam the field holding tool {@code i}'s parameters, for errors
     */
    public static ToolUse.ForcedCall of(ServedModel model, List<Map<String, Object>> definitions, String named,
                                        String choiceParam, IntFunction<String> parametersParam) {
        if (!model.toolCallSyntax().forcesCalls()) {
            throw new InvalidRequestException(choiceParam, "a call required or named is not supported for this "
                    + "model: its calls (" + model.toolCallSyntax().describe() + ") write arguments as markup, not "
                    + "JSON, so a call cannot be held to them; let the model choose (auto)", UNSUPPORTED);
        }
        List<String> names = new ArrayList<>();
        for (Map<String, Object> d : definitions) {
            names.add((String) function(d).get("name"));
        }
        if (named == null) {
            return new ToolUse.ForcedCall(names, JsonSchema.ObjectSchema.anyObject());
        }
        int i = names.indexOf(named);
        if (i < 0) {
            throw new InvalidRequestException(choiceParam, "the tool named \"" + named + "\" is not among the tools");
        }
        Map<String, Object> function = function(definitions.get(i));
        Object parameters = function.get("parameters");
        if (parameters == null) {
            return new ToolUse.ForcedCall(List.of(named), JsonSchema.ObjectSchema.anyObject());
        }
        try {
            return new ToolUse.ForcedCall(List.of(named), JsonSchemaCompiler.compile(JSON.valueToTree(parameters)));
        } catch (SchemaException e) {
            if (Boolean.TRUE.equals(function.get("strict"))) {
                throw new InvalidRequestException(parametersParam.apply(i), e.getMessage()
                        + "; a strict tool's arguments must follow its schema exactly", UNSUPPORTED);
            }
            return new ToolUse.ForcedCall(List.of(named), JsonSchema.ObjectSchema.anyObject());
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> function(Map<String, Object> definition) {
        return (Map<String, Object>) definition.get("function");
    }
}
