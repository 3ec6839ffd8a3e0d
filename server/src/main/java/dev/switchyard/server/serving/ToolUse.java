package dev.switchyard.server.serving;

import dev.switchyard.engine.structured.JsonSchema;
import dev.switchyard.engine.tools.ToolSchemas;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A chat request's tools, as generation needs them once they are in the prompt: their parameters'
 * declared types (for formats that write bare values), whether a reply may call more than one, and
 * whether it must call one.
 *
 * @param parallel OpenAI's {@code parallel_tool_calls}: false ends a reply at its first call
 * @param forced   null under {@code tool_choice} auto; else the call every reply must make
 */
public record ToolUse(ToolSchemas schemas, boolean parallel, ForcedCall forced) {

    /**
     * A call the reply must make ({@code tool_choice} required or naming a function), held to the
     * model's call syntax token by token.
     *
     * @param names     the functions it may call (one, when named)
     * @param arguments the schema its arguments are held to
     */
    public record ForcedCall(List<String> names, JsonSchema arguments) {

        public ForcedCall {
            names = List.copyOf(names);
            Objects.requireNonNull(arguments, "arguments");
        }
    }

    public ToolUse(ToolSchemas schemas, boolean parallel) {
        this(schemas, parallel, null);
    }

    /** OpenAI's rule for function names, kept by both transports. */
    public static final Pattern FUNCTION_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    public ToolUse {
        Objects.requireNonNull(schemas, "schemas");
    }
}
