package dev.switchyard.engine.tools;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The formats whose calls are written in the model's own control tokens, DeepSeek's and Kimi K2's:
 * each reply is read cut into deltas every way at two pieces and one character at a time, and must
 * read the same every way.
 */
class TokenToolCallFormatsTest {

    private static final String DS_BEGIN = "<｜tool▁calls▁begin｜>";
    private static final String DS_END = "<｜tool▁calls▁end｜>";
    private static final String DS_CALL = "<｜tool▁call▁begin｜>";
    private static final String DS_CALL_END = "<｜tool▁call▁end｜>";
    private static final String DS_SEP = "<｜tool▁sep｜>";

    private static final String KIMI_BEGIN = "<|tool_calls_section_begin|>";
    private static final String KIMI_END = "<|tool_calls_section_end|>";
    private static final String KIMI_CALL = "<|tool_call_begin|>";
    private static final String KIMI_ARGS = "<|tool_call_argument_begin|>";
    private static final String KIMI_CALL_END = "<|tool_call_end|>";

    private static final ToolCallSyntax DEEPSEEK = ToolCallSyntax.fromRenderedCall(
            DS_BEGIN + DS_CALL + "function" + DS_SEP + "probe_tool\n```json\n{\"topic\": \"probe\"}\n```" + DS_CALL_END
                    + DS_END, null);
    private static final ToolCallSyntax KIMI = ToolCallSyntax.fromRenderedCall(
            KIMI_BEGIN + KIMI_CALL + "functions.probe_tool:0" + KIMI_ARGS + "{\"topic\": \"probe\"}" + KIMI_CALL_END
                    + KIMI_END, null);

    private static String v3(String name, String arguments) {
        return DS_CALL + "function" + DS_SEP + name + "\n```json\n" + arguments + "\n```" + DS_CALL_END;
    }

    private static String v31(String name, String arguments) {
        return DS_CALL + name + DS_SEP + arguments + DS_CALL_END;
    }

    private static String kimi(String id, String arguments) {
        return KIMI_CALL + id + KIMI_ARGS + arguments + KIMI_CALL_END;
    }

    /** What {@code reply} reads as, the same however it is cut into deltas. */
    private static ExtractedReply read(ToolCallSyntax syntax, String reply) {
        return ExtractedReply.howeverCut(syntax, ToolSchemas.NONE, reply);
    }

    private static void assertContentAsWritten(ToolCallSyntax syntax, String reply) {
        ExtractedReply read = read(syntax, reply);
        assertThat(read.calls()).as(reply).isEmpty();
        assertThat(read.content()).isEqualTo(reply);
    }

    @Test
    void detectsEachFormByItsOpener() {
        assertThat(DEEPSEEK.kind()).isEqualTo(ToolCallSyntax.Kind.DEEPSEEK);
        assertThat(DEEPSEEK.describe()).isEqualTo("DeepSeek tool-call tokens");
        assertThat(ToolCallSyntax.fromRenderedCall(DS_BEGIN + v31("probe_tool", "{}") + DS_END, null).kind())
                .isEqualTo(ToolCallSyntax.Kind.DEEPSEEK);
        assertThat(KIMI.kind()).isEqualTo(ToolCallSyntax.Kind.KIMI);
        assertThat(KIMI.describe()).isEqualTo("Kimi tool-call sections");
        assertThat(ToolCallSyntax.fromRenderedCall("<|tool_call_section_begin|>"
                + kimi("functions.probe_tool:0", "{}") + "<|tool_call_section_end|>", null).kind())
                .isEqualTo(ToolCallSyntax.Kind.KIMI);
        assertThat(DEEPSEEK.markers()).contains(DS_BEGIN, DS_END, DS_CALL, DS_CALL_END, DS_SEP);
        assertThat(KIMI.markers()).contains(KIMI_BEGIN, KIMI_END, KIMI_CALL, KIMI_ARGS, KIMI_CALL_END,
                "<|tool_call_section_begin|>", "<|tool_call_section_end|>");
    }

    @Test
    void deepSeekV3TwoCallsInOneBlock() {
        ExtractedReply read = read(DEEPSEEK, DS_BEGIN + v3("get_weather", "{\"city\": \"Paris\"}") + "\n"
                + v3("get_time", "{\n  \"zone\": \"CET\"\n}") + DS_END);
        assertThat(read.calls()).containsExactly(new ToolCall("get_weather", "{\"city\": \"Paris\"}"),
                new ToolCall("get_time", "{\n  \"zone\": \"CET\"\n}"));
        assertThat(read.content()).isEmpty();
    }

    @Test
    void deepSeekV31TwoCallsInOneBlock() {
        ExtractedReply read = read(DEEPSEEK, DS_BEGIN + v31("get_weather", "{\"city\": \"Paris\", \"unit\": \"celsius\"}")
                + v31("get_time", "{}") + DS_END);
        assertThat(read.calls()).containsExactly(
                new ToolCall("get_weather", "{\"city\": \"Paris\", \"unit\": \"celsius\"}"),
                new ToolCall("get_time", "{}"));
        assertThat(read.content()).isEmpty();
    }

    @Test
    void deepSeekV31FunctionNamedFunction() {
        ExtractedReply read = read(DEEPSEEK, DS_BEGIN + v31("function", "{\"x\": 1}") + DS_END);
        assertThat(read.calls()).containsExactly(new ToolCall("function", "{\"x\": 1}"));
    }

    @Test
    void deepSeekTextAroundTheBlockStaysContent() {
        ExtractedReply read = read(DEEPSEEK, "Let me look that up.\n\n" + DS_BEGIN + v31("get_weather", "{\"city\": \"Paris\"}")
                + DS_END + "\nDone.");
        assertThat(read.content()).isEqualTo("Let me look that up.\n\n\nDone.");
        assertThat(read.calls()).containsExactly(new ToolCall("get_weather", "{\"city\": \"Paris\"}"));
    }

    @Test
    void deepSeekMalformedBlocksAreContentAsWritten() {
        assertContentAsWritten(DEEPSEEK, "Sure. " + DS_BEGIN + v31("get_weather", "{\"city\": \"Paris\"") + DS_END);
        assertContentAsWritten(DEEPSEEK, DS_BEGIN + v3("get_weather", "{city: Paris}") + DS_END);
        assertContentAsWritten(DEEPSEEK, DS_BEGIN + v3("get_weather", "[1, 2]") + DS_END);
        // no separator between name and arguments
        assertContentAsWritten(DEEPSEEK, DS_BEGIN + DS_CALL + "get_weather{\"city\": \"Paris\"}" + DS_CALL_END + DS_END);
        // V3 without its fence
        assertContentAsWritten(DEEPSEEK, DS_BEGIN + DS_CALL + "function" + DS_SEP + "get_weather\n{\"city\": \"Paris\"}"
                + DS_CALL_END + DS_END);
        // no name
        assertContentAsWritten(DEEPSEEK, DS_BEGIN + v31("", "{}") + DS_END);
        // text between calls
        assertContentAsWritten(DEEPSEEK, DS_BEGIN + v31("a", "{}") + " and " + v31("b", "{}") + DS_END);
        // one good call does not carry a bad one
        assertContentAsWritten(DEEPSEEK, DS_BEGIN + v31("a", "{}") + v31("b", "{") + DS_END);
        assertContentAsWritten(DEEPSEEK, DS_BEGIN + DS_END);
    }

    @Test
    void deepSeekReplyStoppingAfterItsLastCallStillHoldsItsCalls() {
        ExtractedReply read = read(DEEPSEEK, DS_BEGIN + v3("get_weather", "{\"city\": \"Paris\"}") + "\n"
                + v3("get_time", "{}"));
        assertThat(read.calls()).containsExactly(new ToolCall("get_weather", "{\"city\": \"Paris\"}"),
                new ToolCall("get_time", "{}"));
        assertThat(read.content()).isEmpty();
        read = read(DEEPSEEK, DS_BEGIN + v31("get_weather", "{\"city\": \"Paris\"}") + "\n");
        assertThat(read.calls()).containsExactly(new ToolCall("get_weather", "{\"city\": \"Paris\"}"));
        assertThat(read.content()).isEmpty();
    }

    @Test
    void deepSeekReplyCutInsideACallIsContent() {
        assertContentAsWritten(DEEPSEEK, "Checking. " + DS_BEGIN + v31("get_weather", "{\"city\": \"Paris\"}")
                + DS_CALL + "get_time" + DS_SEP + "{\"zo");
        assertContentAsWritten(DEEPSEEK, DS_BEGIN + DS_CALL + "function" + DS_SEP + "get_weather\n```json\n{\"city\": \"Paris\"}\n```");
        assertContentAsWritten(DEEPSEEK, DS_BEGIN);
    }

    @Test
    void kimiTwoCallsInOneSectionKeepTheirIds() {
        ExtractedReply read = read(KIMI, KIMI_BEGIN + kimi("functions.get_weather:0", "{\"city\": \"Paris\"}")
                + kimi("functions.get_time:1", "{}") + KIMI_END);
        assertThat(read.calls()).containsExactly(
                new ToolCall("get_weather", "{\"city\": \"Paris\"}", "functions.get_weather:0"),
                new ToolCall("get_time", "{}", "functions.get_time:1"));
        assertThat(read.content()).isEmpty();
    }

    @Test
    void kimiNameIsWhatFollowsFunctionsUpToTheLastColon() {
        ExtractedReply read = read(KIMI, KIMI_BEGIN + kimi("functions.ns:lookup:12", "{\"q\": 1}") + KIMI_END);
        assertThat(read.calls()).containsExactly(new ToolCall("ns:lookup", "{\"q\": 1}", "functions.ns:lookup:12"));
    }

    @Test
    void kimiSingularSectionMarkers() {
        ExtractedReply read = read(KIMI, "<|tool_call_section_begin|>" + kimi("functions.get_weather:0", "{\"city\": \"Paris\"}")
                + "\n" + kimi("functions.get_time:1", "{}") + "<|tool_call_section_end|>");
        assertThat(read.calls()).containsExactly(
                new ToolCall("get_weather", "{\"city\": \"Paris\"}", "functions.get_weather:0"),
                new ToolCall("get_time", "{}", "functions.get_time:1"));
        assertThat(read.content()).isEmpty();
        // each opener closes only with its own closer
        assertContentAsWritten(KIMI, "<|tool_call_section_begin|>" + kimi("functions.f:0", "{}") + KIMI_END);
    }

    @Test
    void kimiTextBeforeTheSectionStaysContent() {
        ExtractedReply read = read(KIMI, "I'll check the weather. " + KIMI_BEGIN + kimi("functions.get_weather:0", "{}")
                + KIMI_END);
        assertThat(read.content()).isEqualTo("I'll check the weather. ");
        assertThat(read.calls()).containsExactly(new ToolCall("get_weather", "{}", "functions.get_weather:0"));
    }

    @Test
    void kimiMalformedSectionsAreContentAsWritten() {
        assertContentAsWritten(KIMI, KIMI_BEGIN + kimi("functions.get_weather:0", "{\"city\": Paris}") + KIMI_END);
        // no argument marker
        assertContentAsWritten(KIMI, KIMI_BEGIN + KIMI_CALL + "functions.get_weather:0{}" + KIMI_CALL_END + KIMI_END);
        // no index
        assertContentAsWritten(KIMI, KIMI_BEGIN + kimi("functions.get_weather", "{}") + KIMI_END);
        assertContentAsWritten(KIMI, KIMI_BEGIN + kimi("functions.get_weather:x", "{}") + KIMI_END);
        // no name
        assertContentAsWritten(KIMI, KIMI_BEGIN + kimi("functions.:0", "{}") + KIMI_END);
        assertContentAsWritten(KIMI, "Hmm " + KIMI_BEGIN + kimi("functions.a:0", "{}") + "then"
                + kimi("functions.b:1", "{}") + KIMI_END + " ok");
        assertContentAsWritten(KIMI, KIMI_BEGIN + KIMI_END);
    }

    @Test
    void kimiReplyStoppingAfterItsLastCallStillHoldsItsCalls() {
        ExtractedReply read = read(KIMI, KIMI_BEGIN + kimi("functions.get_weather:0", "{\"city\": \"Paris\"}")
                + kimi("functions.get_time:1", "{}"));
        assertThat(read.calls()).containsExactly(
                new ToolCall("get_weather", "{\"city\": \"Paris\"}", "functions.get_weather:0"),
                new ToolCall("get_time", "{}", "functions.get_time:1"));
        assertThat(read.content()).isEmpty();
    }

    @Test
    void kimiReplyCutInsideACallIsContent() {
        assertContentAsWritten(KIMI, KIMI_BEGIN + kimi("functions.get_weather:0", "{}") + KIMI_CALL
                + "functions.get_time:1" + KIMI_ARGS + "{\"zone\": \"C");
        assertContentAsWritten(KIMI, "Let me see. " + KIMI_BEGIN + KIMI_CALL + "functions.get_wea");
    }
}
