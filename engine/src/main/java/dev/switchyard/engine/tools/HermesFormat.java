package dev.switchyard.engine.tools;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON calls between tags, as Hermes introduced and Qwen2.5, Qwen3, QwQ, Granite 4 and many others
 * write them: {@code <tool_call>\n{"name": "f", "arguments": {...}}\n</tool_call>}, one block per
 * call. A block holding several objects in a row (MiniMax-M1's {@code <tool_calls>}) is several calls.
 */
final class HermesFormat extends BlockFormat {

    HermesFormat(String opener, String closer) {
        super(opener, closer);
    }

    @Override
    public List<ToolCall> parse(int opener, String body, ToolSchemas schemas) {
        List<JsonNode> objects = ToolArguments.objects(body);
        if (objects == null) {
            return null;
        }
        List<ToolCall> calls = new ArrayList<>(objects.size());
        for (JsonNode o : objects) {
            ToolCall call = ToolArguments.call(o, "name", "arguments");
            if (call == null) {
                return null;
            }
            calls.add(call);
        }
        return calls;
    }

    @Override
    public List<String> markers() {
        return blockMarkers();
    }
}
