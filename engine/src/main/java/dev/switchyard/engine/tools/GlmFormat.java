package dev.switchyard.engine.tools;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * GLM's calls, as GLM-4.5, GLM-4.6, GLM-4.7 and poolside's Laguna write them: the function's name
 * right after {@code <tool_call>}, then each parameter as a key tag and a value tag, one call per
 * block:
 * <pre>{@code
 * <tool_call>get_weather
 * <arg_key>city</arg_key>
 * <arg_value>Paris</arg_value>
 * </tool_call>
 * }</pre>
 * GLM-4.7 and Laguna-S write it on one line. Values are bare text, typed by the request's schema
 * ({@link ToolArguments#value}); a call without arguments is {@code <tool_call>f</tool_call>}.
 */
final class GlmFormat extends BlockFormat {

    static final String TOOL_CALL = "<tool_call>";
    static final String END_TOOL_CALL = "</tool_call>";
    static final String ARG_KEY = "<arg_key>";
    static final String END_ARG_KEY = "</arg_key>";
    static final String ARG_VALUE = "<arg_value>";
    static final String END_ARG_VALUE = "</arg_value>";

    /**
     * Whether the text from a {@code <tool_call>} on is a name then a key tag or the block's end:
     * Hermes-style JSON and Qwen3-Coder's function tags share the opener.
     */
    static boolean namesFunction(String fromOpener) {
        String rest = fromOpener.substring(TOOL_CALL.length());
        int tag = rest.indexOf('<');
        return tag >= 0 && MarkupReader.isName(rest.substring(0, tag).strip())
                && (rest.startsWith(ARG_KEY, tag) || rest.startsWith(END_TOOL_CALL, tag));
    }

    GlmFormat() {
        super(TOOL_CALL, END_TOOL_CALL);
    }

    @Override
    public List<ToolCall> parse(int opener, String body, ToolSchemas schemas) {
        int tag = body.indexOf('<');
        String name = (tag < 0 ? body : body.substring(0, tag)).strip();
        if (!MarkupReader.isName(name)) {
            return null;
        }
        MarkupReader r = new MarkupReader(tag < 0 ? "" : body.substring(tag));
        ObjectNode arguments = ToolArguments.newObject();
        while (!r.atEnd()) {
            String key = r.take(ARG_KEY) ? r.upTo(END_ARG_KEY) : null;
            key = key == null ? null : key.strip();
            String value = MarkupReader.isName(key) && r.take(ARG_VALUE) ? r.upTo(END_ARG_VALUE) : null;
            if (value == null) {
                return null;
            }
            arguments.set(key, ToolArguments.value(value, schemas.isString(name, key)));
        }
        return List.of(new ToolCall(name, ToolArguments.write(arguments)));
    }

    @Override
    public List<String> markers() {
        return List.of(TOOL_CALL, END_TOOL_CALL, ARG_KEY, END_ARG_KEY, ARG_VALUE, END_ARG_VALUE);
    }
}
