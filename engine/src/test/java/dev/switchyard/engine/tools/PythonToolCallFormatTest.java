package dev.switchyard.engine.tools;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * LFM2's calls, a list of Python calls between {@code <|tool_call_start|>} and
 * {@code <|tool_call_end|>}: each reply is read cut into deltas every way at two pieces and one
 * character at a time, and must read the same every way; the arguments come out as the JSON object
 * OpenAI's {@code function.arguments} holds.
 */
class PythonToolCallFormatTest {

    private static final String START = "<|tool_call_start|>";
    private static final String END = "<|tool_call_end|>";
    /** What LFM2.5's template writes back for a past call of probe_tool(topic="probe"). */
    private static final ToolCallSyntax LFM2 = ToolCallSyntax.fromRenderedCall(
            "<|im_start|>assistant\n" + START + "[probe_tool(topic='probe')]" + END + "<|im_end|>", null);

    private static ExtractedReply read(String reply) {
        return ExtractedReply.howeverCut(LFM2, ToolSchemas.NONE, reply);
    }

    private static void assertContentAsWritten(String reply) {
        ExtractedReply read = read(reply);
        assertThat(read.calls()).as(reply).isEmpty();
        assertThat(read.content()).isEqualTo(reply);
    }

    @Test
    void detectsTheFormByItsOpenerFollowedByCalls() {
        assertThat(LFM2.kind()).isEqualTo(ToolCallSyntax.Kind.PYTHON_CALLS);
        assertThat(LFM2.describe()).isEqualTo("Python calls in <|tool_call_start|>");
        assertThat(LFM2.markers()).containsExactly(START, END);
        assertThat(ToolCallSyntax.fromRenderedCall(START + "{\"name\": \"probe_tool\"}" + END, null))
                .as("JSON after the opener is not this form").isNull();
    }

    @Test
    void twoCallsWithLiteralsOfEveryKind() {
        ExtractedReply read = read("Let me check. " + START
                + "[get_weather(city=\"Paris\", days=3, metric=True, hours=[6, 12.5, -1e3], note=None), "
                + "book(trip={'from': 'CDG', \"to\": \"JFK\", 'legs': (1, 2)}, ok=false, meta={\"a\": null})]" + END);
        assertThat(read.calls()).containsExactly(
                new ToolCall("get_weather", "{\"city\":\"Paris\",\"days\":3,\"metric\":true,\"hours\":[6,12.5,-1E+3],"
                        + "\"note\":null}"),
                new ToolCall("book", "{\"trip\":{\"from\":\"CDG\",\"to\":\"JFK\",\"legs\":[1,2]},\"ok\":false,"
                        + "\"meta\":{\"a\":null}}"));
        assertThat(read.content()).isEqualTo("Let me check. ");
    }

    @Test
    void stringsKeepTheirEscapesAndQuotesAsPythonReadsThem() {
        ExtractedReply read = read(START + "[say(text='it\\'s \"fine\"\\n\\ttab \\u00e9\\x41', path=\"C:\\\\dir\")]" + END);
        assertThat(read.calls()).containsExactly(
                new ToolCall("say", "{\"text\":\"it's \\\"fine\\\"\\n\\ttab éA\",\"path\":\"C:\\\\dir\"}"));
    }

    @Test
    void aCallWithoutArgumentsAndOneWithoutBracketsRead() {
        assertThat(read(START + "[now()]" + END).calls()).containsExactly(new ToolCall("now", "{}"));
        assertThat(read(START + " tools.search(q='x') " + END).calls())
                .containsExactly(new ToolCall("tools.search", "{\"q\":\"x\"}"));
    }

    @Test
    void bigIntegersAndDecimalsKeepTheirDigits() {
        assertThat(read(START + "[f(n=123456789012345678901234567890, x=0.1, y=1_000)]" + END).calls())
                .containsExactly(new ToolCall("f", "{\"n\":123456789012345678901234567890,\"x\":0.1,\"y\":1000}"));
    }

    @Test
    void malformedBlocksAreContentAsWritten() {
        assertContentAsWritten(START + "[get_weather('Paris')]" + END);          // positional
        assertContentAsWritten(START + "[f(a=1, a=2)]" + END);                    // repeated keyword
        assertContentAsWritten(START + "[f(a=x)]" + END);                         // a name, not a literal
        assertContentAsWritten(START + "[f(a=1 + 2)]" + END);                     // an expression
        assertContentAsWritten(START + "[f(a='open)]" + END);                     // an open string
        assertContentAsWritten(START + "[]" + END);                               // no calls
        assertContentAsWritten(START + "[f(a=1)] and more" + END);                // text after the list
        assertContentAsWritten(START + "[f(a={1: 2})]" + END);                    // a key that is not a string
        assertContentAsWritten(START + "[f(a='\\u12')]" + END);                  // a cut escape
        assertContentAsWritten(START + "[f(a=" + "[".repeat(100) + "]".repeat(100) + ")]" + END); // too deep
    }

    @Test
    void aReplyCutInsideTheBlockIsContent() {
        assertContentAsWritten("Sure. " + START + "[get_weather(city=\"Par");
    }

    @Test
    void aReplyStoppingAfterItsLastCallStillHoldsItsCalls() {
        ExtractedReply read = read(START + "[get_time(zone='CET')]" + END);
        assertThat(read.calls()).containsExactly(new ToolCall("get_time", "{\"zone\":\"CET\"}"));
        assertThat(read.content()).isEmpty();
    }
}
