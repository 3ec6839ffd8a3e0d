package dev.switchyard.server.serving;

import dev.switchyard.engine.tools.ToolSchemas;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A chat request's tools, as generation needs them once they are in the prompt: their parameters'
 * declared types (for formats that write bare values) and whether a reply may call more than one.
 *
 * @param parallel OpenAI's {@code parallel_tool_calls}: false ends a reply at its first call
 */
public record ToolUse(ToolSchemas schemas, boolean parallel) {

    /** OpenAI's rule for function names, kept by both transports. */
    public static final Pattern FUNCTION_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    public ToolUse {
        Objects.requireNonNull(schemas, "schemas");
    }
}
