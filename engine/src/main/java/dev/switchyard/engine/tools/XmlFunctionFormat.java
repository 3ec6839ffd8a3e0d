package dev.switchyard.engine.tools;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * One tag per function and per parameter, values as bare text, as Qwen3-Coder introduced and Qwen3.5,
 * Nemotron 3 Nano and Step 3.5 Flash write it in {@code <tool_call>} blocks, and Seed-OSS in
 * {@code <seed:tool_call>} ones:
 * <pre>{@code
 * <tool_call>
 * <function=get_weather>
 * <parameter=city>
 * Paris
 * </parameter>
 * </function>
 * </tool_call>
 * }</pre>
 * Qwen3-Coder puts each value on lines of its own, Seed-OSS right inside the tags: one newline on
 * either side of a value is markup, the rest is the value. Values have no types of their own; the
 * request's schema gives them ({@link ToolArguments#value}). A block holding several functions is
 * several calls.
 */
final class XmlFunctionFormat extends BlockFormat {

    static final String FUNCTION = "<function=";
    static final String END_FUNCTION = "</function>";
    static final String PARAMETER = "<parameter=";
    static final String END_PARAMETER = "</parameter>";

    XmlFunctionFormat(String opener, String closer) {
        super(opener, closer);
    }

    /** Whether the text from an opener on holds a function tag first: Hermes-style JSON shares the opener. */
    static boolean opensFunction(String opener, String fromOpener) {
        return fromOpener.substring(opener.length()).stripLeading().startsWith(FUNCTION);
    }

    @Override
    public List<ToolCall> parse(int opener, String body, ToolSchemas schemas) {
        MarkupReader r = new MarkupReader(body);
        List<ToolCall> calls = new ArrayList<>();
        while (!r.atEnd()) {
            if (!r.take(FUNCTION)) {
                return null;
            }
            String name = r.upTo(">");
            if (!MarkupReader.isName(name)) {
                return null;
            }
            ObjectNode arguments = ToolArguments.newObject();
            while (r.take(PARAMETER)) {
                String key = r.upTo(">");
                String value = MarkupReader.isName(key) ? r.upTo(END_PARAMETER) : null;
                if (value == null) {
                    return null;
                }
                arguments.set(key, ToolArguments.value(unwrap(value), schemas.isString(name, key)));
            }
            if (!r.take(END_FUNCTION)) {
                return null;
            }
            calls.add(new ToolCall(name, ToolArguments.write(arguments)));
        }
        return calls;
    }

    /** The value without the one newline the format may write on either side of it. */
    private static String unwrap(String value) {
        int from = value.startsWith("\n") ? 1 : 0;
        int to = value.length() > from && value.endsWith("\n") ? value.length() - 1 : value.length();
        return value.substring(from, to);
    }

    @Override
    public List<String> markers() {
        return blockMarkers(FUNCTION, END_FUNCTION, PARAMETER, END_PARAMETER);
    }
}
