package dev.switchyard.engine.tools;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Mistral's calls, from {@code [TOOL_CALLS]} to the reply's end, in either of the two forms its
 * tokenizers have used:
 * <ul>
 *   <li>a JSON list, {@code [TOOL_CALLS][{"name": "f", "arguments": {...}, "id": "a1b2c3d4e"}]}
 *       (Mixtral 8x22B, Mistral Nemo);
 *   <li>name then arguments, each call behind its own marker,
 *       {@code [TOOL_CALLS]f[ARGS]{...}} or {@code [TOOL_CALLS]f[CALL_ID]a1b2c3d4e[ARGS]{...}}
 *       (Mistral Small 3.2, Devstral, Ministral 3).
 * </ul>
 * The markers are control tokens, rendered for this format.
 */
final class MistralFormat extends BlockFormat {

    static final String TOOL_CALLS = "[TOOL_CALLS]";
    static final String ARGS = "[ARGS]";
    static final String CALL_ID = "[CALL_ID]";

    MistralFormat() {
        super(TOOL_CALLS, null);
    }

    @Override
    public List<ToolCall> parse(int opener, String body, ToolSchemas schemas) {
        String text = body.strip();
        if (text.startsWith("[")) {
            return jsonList(text);
        }
        List<ToolCall> calls = new ArrayList<>();
        for (String one : text.split("\\Q" + TOOL_CALLS + "\\E")) {
            int args = one.indexOf(ARGS);
            if (args < 0) {
                return null;
            }
            String head = one.substring(0, args);
            String id = null;
            int idAt = head.indexOf(CALL_ID);
            if (idAt >= 0) {
                id = head.substring(idAt + CALL_ID.length()).strip();
                head = head.substring(0, idAt);
            }
            String name = head.strip();
            String arguments = ToolArguments.object(one.substring(args + ARGS.length()));
            if (name.isEmpty() || arguments == null) {
                return null;
            }
            calls.add(new ToolCall(name, arguments, id == null || id.isEmpty() ? null : id));
        }
        return calls;
    }

    private static List<ToolCall> jsonList(String text) {
        JsonNode list = ToolArguments.parse(text);
        if (list == null || !list.isArray() || list.isEmpty()) {
            return null;
        }
        List<ToolCall> calls = new ArrayList<>(list.size());
        for (JsonNode o : list) {
            ToolCall call = o.isObject() ? ToolArguments.call(o, "name", "arguments") : null;
            if (call == null) {
                return null;
            }
            calls.add(call);
        }
        return calls;
    }

    @Override
    public List<String> markers() {
        return List.of(TOOL_CALLS, ARGS, CALL_ID);
    }
}
