package dev.switchyard.engine.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * MiniMax-M3's calls: every tag behind its namespace token {@code ]<]minimax[>[}, an
 * {@code <invoke>} per call, each parameter a tag named after it, and objects and lists spelled out
 * as nested tags rather than JSON ({@code <item>} per element):
 * <pre>{@code
 * ]<]minimax[>[<tool_call>
 * ]<]minimax[>[<invoke name="get_weather">]<]minimax[>[<city>Paris]<]minimax[>[</city>]<]minimax[>[</invoke>
 * ]<]minimax[>[</tool_call>
 * }</pre>
 * A parameter's text is typed by the request's schema ({@link ToolArguments#value}); text nested
 * deeper has no schema here and is the JSON value it spells, else a string. The nesting loses what
 * JSON would keep, as the template writes it: an empty object or list reads as {@code ""}, and an
 * object whose only keys are {@code item} as a list.
 */
final class MiniMaxM3Format extends BlockFormat {

    static final String NS = "]<]minimax[>[";
    static final String TOOL_CALL = NS + "<tool_call>";
    static final String END_TOOL_CALL = NS + "</tool_call>";
    static final String INVOKE = NS + "<invoke";
    static final String END_INVOKE = NS + "</invoke>";
    private static final String OPEN = NS + "<";
    private static final String CLOSE = NS + "</";
    private static final String ITEM = "item";
    /** Deeper nesting than any tool's arguments is not read: the parser recurses once per level. */
    private static final int MAX_DEPTH = 64;

    MiniMaxM3Format() {
        super(TOOL_CALL, END_TOOL_CALL);
    }

    @Override
    public List<ToolCall> parse(int opener, String body, ToolSchemas schemas) {
        return MarkupReader.invokeCalls(body, INVOKE, (r, name) -> {
            ObjectNode arguments = ToolArguments.newObject();
            while (!r.take(END_INVOKE)) {
                String key = r.take(OPEN) ? r.upTo(">") : null;
                JsonNode value = MarkupReader.isName(key) ? element(r, key, schemas.isString(name, key), 0) : null;
                if (value == null) {
                    return null;
                }
                arguments.set(key, value);
            }
            return arguments;
        });
    }

    /** The value of the element {@code tag} opened, through its end tag; null when it is not well-formed. */
    private static JsonNode element(MarkupReader r, String tag, boolean declaredString, int depth) {
        String end = CLOSE + tag + ">";
        if (!r.seesHere(OPEN) || r.seesHere(CLOSE)) {
            String text = r.upTo(NS);
            return text != null && r.takeHere("</" + tag + ">") ? ToolArguments.value(text, declaredString) : null;
        }
        if (depth == MAX_DEPTH) {
            return null;
        }
        List<String> keys = new ArrayList<>();
        List<JsonNode> values = new ArrayList<>();
        while (!r.takeHere(end)) {
            String key = r.takeHere(OPEN) ? r.upTo(">") : null;
            JsonNode value = MarkupReader.isName(key) ? element(r, key, false, depth + 1) : null;
            if (value == null) {
                return null;
            }
            keys.add(key);
            values.add(value);
        }
        if (keys.stream().allMatch(ITEM::equals)) {
            ArrayNode list = JsonNodeFactory.instance.arrayNode();
            values.forEach(list::add);
            return list;
        }
        ObjectNode object = ToolArguments.newObject();
        for (int i = 0; i < keys.size(); i++) {
            if (object.replace(keys.get(i), values.get(i)) != null) {
                return null; // a key twice is no object
            }
        }
        return object;
    }

    @Override
    public List<String> markers() {
        return List.of(NS, TOOL_CALL, END_TOOL_CALL, INVOKE, END_INVOKE);
    }
}
