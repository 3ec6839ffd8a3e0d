package dev.switchyard.engine.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.List;
import java.util.Map;

/**
 * DeepSeek's DSML, its tags marked by {@code ｜DSML｜} (fullwidth bars, as in its control tokens):
 * an {@code invoke} per call in one block, {@code function_calls} in DeepSeek-V3.2 and
 * {@code tool_calls} in V4:
 * <pre>{@code
 * <｜DSML｜tool_calls>
 * <｜DSML｜invoke name="get_weather">
 * <｜DSML｜parameter name="city" string="true">Paris</｜DSML｜parameter>
 * <｜DSML｜parameter name="days" string="false">3</｜DSML｜parameter>
 * </｜DSML｜invoke>
 * </｜DSML｜tool_calls>
 * }</pre>
 * Unlike the other XML-style forms it types its values itself: {@code string="true"} is the text as
 * it stands, {@code string="false"} JSON (a block whose JSON does not parse is not read); a
 * parameter without the attribute is typed by the request's schema.
 */
final class DsmlFormat extends BlockFormat {

    static final String DSML = "｜DSML｜";
    static final String FUNCTION_CALLS = "<" + DSML + "function_calls>";
    static final String END_FUNCTION_CALLS = "</" + DSML + "function_calls>";
    static final String TOOL_CALLS = "<" + DSML + "tool_calls>";
    static final String END_TOOL_CALLS = "</" + DSML + "tool_calls>";
    static final String INVOKE = "<" + DSML + "invoke";
    static final String END_INVOKE = "</" + DSML + "invoke>";
    static final String PARAMETER = "<" + DSML + "parameter";
    static final String END_PARAMETER = "</" + DSML + "parameter>";

    private static final String[] OPENERS = {FUNCTION_CALLS, TOOL_CALLS};
    private static final String[] CLOSERS = {END_FUNCTION_CALLS, END_TOOL_CALLS};

    DsmlFormat() {
        super(OPENERS, CLOSERS);
    }

    @Override
    public List<ToolCall> parse(int opener, String body, ToolSchemas schemas) {
        return MarkupReader.invokeCalls(body, INVOKE, (r, name) -> {
            ObjectNode arguments = ToolArguments.newObject();
            while (r.take(PARAMETER)) {
                Map<String, String> parameter = r.attributesToTagEnd();
                String key = parameter == null ? null : parameter.get("name");
                String text = MarkupReader.isName(key) ? r.upTo(END_PARAMETER) : null;
                JsonNode value = text == null ? null
                        : value(text, parameter.get("string"), schemas.isString(name, key));
                if (value == null) {
                    return null;
                }
                arguments.set(key, value);
            }
            return r.take(END_INVOKE) ? arguments : null;
        });
    }

    /** A value as its {@code string} attribute says; null when it is not what the attribute says. */
    private static JsonNode value(String text, String string, boolean declaredString) {
        if (string == null) {
            return ToolArguments.value(text, declaredString);
        }
        return switch (string) {
            case "true" -> TextNode.valueOf(text);
            case "false" -> {
                JsonNode json = ToolArguments.parse(text.strip());
                yield json == null || json.isMissingNode() ? null : json;
            }
            default -> null;
        };
    }

    @Override
    public List<String> markers() {
        return List.of(DSML, FUNCTION_CALLS, END_FUNCTION_CALLS, TOOL_CALLS, END_TOOL_CALLS, INVOKE, END_INVOKE,
                PARAMETER, END_PARAMETER);
    }
}
