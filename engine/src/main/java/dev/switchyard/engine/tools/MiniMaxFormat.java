package dev.switchyard.engine.tools;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * MiniMax-M2's calls: an {@code <invoke>} per call in one {@code <minimax:tool_call>} block, each
 * parameter a tag named by attribute, values as bare text typed by the request's schema
 * ({@link ToolArguments#value}):
 * <pre>{@code
 * <minimax:tool_call>
 * <invoke name="get_weather">
 * <parameter name="city">Paris</parameter>
 * </invoke>
 * </minimax:tool_call>
 * }</pre>
 */
final class MiniMaxFormat extends BlockFormat {

    static final String TOOL_CALL = "<minimax:tool_call>";
    static final String END_TOOL_CALL = "</minimax:tool_call>";
    static final String INVOKE = "<invoke";
    static final String END_INVOKE = "</invoke>";
    static final String PARAMETER = "<parameter";
    static final String END_PARAMETER = "</parameter>";

    MiniMaxFormat() {
        super(TOOL_CALL, END_TOOL_CALL);
    }

    @Override
    public List<ToolCall> parse(int opener, String body, ToolSchemas schemas) {
        return MarkupReader.invokeCalls(body, INVOKE, (r, name) -> {
            ObjectNode arguments = ToolArguments.newObject();
            while (r.take(PARAMETER)) {
                String key = MarkupReader.nameIn(r.attributesToTagEnd());
                String value = key == null ? null : r.upTo(END_PARAMETER);
                if (value == null) {
                    return null;
                }
                arguments.set(key, ToolArguments.value(value, schemas.isString(name, key)));
            }
            return r.take(END_INVOKE) ? arguments : null;
        });
    }

    @Override
    public List<String> markers() {
        return List.of(TOOL_CALL, END_TOOL_CALL, INVOKE, END_INVOKE, PARAMETER, END_PARAMETER);
    }
}
