package dev.switchyard.engine.tools;

import java.util.List;

/**
 * DeepSeek's calls, written in its own tokens: one block from {@code <｜tool▁calls▁begin｜>} to
 * {@code <｜tool▁calls▁end｜>}, each call in it from {@code <｜tool▁call▁begin｜>} to
 * {@code <｜tool▁call▁end｜>} (a newline may stand between calls), in either of the two forms its
 * models have written:
 * <ul>
 *   <li>the call's type, then the name and the arguments in a JSON fence,
 *       {@code function<｜tool▁sep｜>f\n```json\n{...}\n```} (DeepSeek V3, R1 and its distills);
 *   <li>the name, then the arguments, {@code f<｜tool▁sep｜>{...}} (DeepSeek V3.1).
 * </ul>
 * A reply that stops after its last {@code <｜tool▁call▁end｜>}, without closing the block, still
 * holds its calls; one cut inside a call holds none. The markers are control tokens, rendered for
 * this format.
 */
final class DeepSeekFormat extends BlockFormat {

    static final String CALLS_BEGIN = "<｜tool▁calls▁begin｜>";
    static final String CALLS_END = "<｜tool▁calls▁end｜>";
    static final String CALL_BEGIN = "<｜tool▁call▁begin｜>";
    static final String CALL_END = "<｜tool▁call▁end｜>";
    static final String SEP = "<｜tool▁sep｜>";

    /** The type V3 and R1 write before the separator. */
    private static final String FUNCTION = "function";
    private static final String FENCE = "```";

    DeepSeekFormat() {
        super(CALLS_BEGIN, CALLS_END);
    }

    @Override
    public List<ToolCall> parse(int opener, String body, ToolSchemas schemas) {
        return MarkupReader.delimitedCalls(body, CALL_BEGIN, CALL_END, DeepSeekFormat::call);
    }

    /** One call's text between its markers, in either form; null when it is neither. */
    private static ToolCall call(String text) {
        int sep = text.indexOf(SEP);
        if (sep < 0) {
            return null;
        }
        String head = text.substring(0, sep).strip();
        String rest = text.substring(sep + SEP.length());
        if (head.equals(FUNCTION)) {
            ToolCall fenced = fenced(rest);
            if (fenced != null) {
                return fenced;
            }
        }
        // V3.1: the name, then the arguments as they stand (a function may be named "function" too)
        String arguments = ToolArguments.object(rest);
        return head.isEmpty() || arguments == null ? null : new ToolCall(head, arguments);
    }

    /** {@code name\n```json\n{...}\n```}, as V3 and R1 write what follows the separator; null when it is not that. */
    private static ToolCall fenced(String text) {
        int newline = text.indexOf('\n');
        if (newline < 0) {
            return null;
        }
        String name = text.substring(0, newline).strip();
        String fence = text.substring(newline + 1).strip();
        if (name.isEmpty() || !fence.startsWith(FENCE) || !fence.endsWith(FENCE)
                || fence.length() < 2 * FENCE.length()) {
            return null;
        }
        String inner = fence.substring(FENCE.length(), fence.length() - FENCE.length());
        if (inner.startsWith("json")) {
            inner = inner.substring("json".length());
        }
        String arguments = ToolArguments.object(inner);
        return arguments == null ? null : new ToolCall(name, arguments);
    }

    @Override
    public List<String> markers() {
        return List.of(CALLS_BEGIN, CALLS_END, CALL_BEGIN, CALL_END, SEP);
    }
}
