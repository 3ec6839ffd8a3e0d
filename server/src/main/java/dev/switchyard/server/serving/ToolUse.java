package dev.switchyard.server.serving;

import dev.switchyard.engine.structured.JsonSchema;
import dev.switchyard.engine.tools.ToolSchemas;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A chat request's tools, as generation needs them once they are in the prompt: their parameters'
 * declared types (for formats that write bare values), whether a reply may call more than one, and
 * how its calls are held.
 *
 * @param parallel OpenAI's {@code parallel_tool_calls}: false ends a reply at its first call
 * @param calls    the calls a reply's are held to, token by token; null where the model's syntax
 *                 writes arguments as markup, so calls are read as written
 * @param forced   whether every reply must be one call ({@code tool_choice} required or named),
 *                 rather than call or answer as it will
 */
public record ToolUse(ToolSchemas schemas, boolean parallel, HeldCalls calls, boolean forced) {

    /** OpenAI's rule for function names, kept by both transports. */
    public static final Pattern FUNCTION_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    /**
     * The functions a held call may name, and the schema each one's arguments are held to.
     */
    public record HeldCalls(List<String> names, List<JsonSchema> arguments) {

        public HeldCalls {
            names = List.copyOf(names);
            arguments = List.copyOf(arguments);
            if (names.isEmpty() || names.size() != arguments.size()) {
                throw new IllegalArgumentException("one schema per function");
            }
        }
    }

    public ToolUse {
        Objects.requireNonNull(schemas, "schemas");
        if (forced && calls == null) {
            throw new IllegalArgumentException("a forced call must be held");
        }
    }

    public ToolUse(ToolSchemas schemas, boolean parallel) {
        this(schemas, parallel, null, false);
    }
}
