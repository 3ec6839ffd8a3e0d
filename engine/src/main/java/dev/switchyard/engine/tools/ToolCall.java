package dev.switchyard.engine.tools;

import java.util.Objects;

/**
 * One call a model wrote: the function's name and its arguments as the text of a JSON object, as
 * OpenAI's {@code function.arguments} carries them.
 *
 * @param id the call's id when the model wrote one (Mistral's {@code [CALL_ID]}, Kimi's
 *           {@code functions.name:0}); null when the server names it
 */
public record ToolCall(String name, String arguments, String id) {

    public ToolCall {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(arguments, "arguments");
    }

    public ToolCall(String name, String arguments) {
        this(name, arguments, null);
    }

    /** A call whose arguments the model wrote as JSON: null unless {@code json} is one JSON object. */
    public static ToolCall withJsonArguments(String name, String json) {
        String arguments = ToolArguments.object(json);
        return arguments == null || name.isBlank() ? null : new ToolCall(name, arguments);
    }
}
