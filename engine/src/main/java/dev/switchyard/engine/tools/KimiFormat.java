package dev.switchyard.engine.tools;

import java.util.List;

/**
 * Kimi K2's calls: a section from {@code <|tool_calls_section_begin|>} to
 * {@code <|tool_calls_section_end|>} (some replies spell both {@code tool_call_section}), each call in
 * it {@code <|tool_call_begin|>functions.f:0<|tool_call_argument_begin|>{...}<|tool_call_end|>}.
 * The model names each call itself, {@code functions.} then the function's name, a colon and the
 * call's index in the conversation; that name is the call's id, as its template writes it back for
 * the tool's result. The markers are control tokens, rendered for this format.
 */
final class KimiFormat extends BlockFormat {

    static final String SECTION_BEGIN = "<|tool_calls_section_begin|>";
    static final String SECTION_END = "<|tool_calls_section_end|>";
    /** The singular spelling some replies use for the section's markers. */
    static final String SECTION_BEGIN_SINGULAR = "<|tool_call_section_begin|>";
    static final String SECTION_END_SINGULAR = "<|tool_call_section_end|>";
    static final String CALL_BEGIN = "<|tool_call_begin|>";
    static final String ARGUMENT_BEGIN = "<|tool_call_argument_begin|>";
    static final String CALL_END = "<|tool_call_end|>";

    private static final String FUNCTIONS = "functions.";

    KimiFormat() {
        super(new String[] {SECTION_BEGIN, SECTION_BEGIN_SINGULAR}, new String[] {SECTION_END, SECTION_END_SINGULAR});
    }

    @Override
    public List<ToolCall> parse(int opener, String body, ToolSchemas schemas) {
        return MarkupReader.delimitedCalls(body, CALL_BEGIN, CALL_END, KimiFormat::call);
    }

    /** {@code functions.f:0<|tool_call_argument_begin|>{...}}; null when it is not that. */
    private static ToolCall call(String text) {
        int args = text.indexOf(ARGUMENT_BEGIN);
        if (args < 0) {
            return null;
        }
        String id = text.substring(0, args).strip();
        int colon = id.lastIndexOf(':');
        if (colon < 0 || colon + 1 == id.length() || !id.substring(colon + 1).chars().allMatch(c -> c >= '0' && c <= '9')) {
            return null;
        }
        String name = id.substring(0, colon);
        if (name.startsWith(FUNCTIONS)) {
            name = name.substring(FUNCTIONS.length());
        }
        String arguments = ToolArguments.object(text.substring(args + ARGUMENT_BEGIN.length()));
        return name.isBlank() || arguments == null ? null : new ToolCall(name, arguments, id);
    }

    @Override
    public List<String> markers() {
        return List.of(SECTION_BEGIN, SECTION_END, SECTION_BEGIN_SINGULAR, SECTION_END_SINGULAR, CALL_BEGIN,
                ARGUMENT_BEGIN, CALL_END);
    }
}
