package dev.switchyard.server.serving;

import static dev.switchyard.server.serving.ChoiceSinkReasoningTest.vocabulary;
import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.chat.ChatTemplate;
import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.engine.reasoning.ReasoningSplitter;
import dev.switchyard.engine.reasoning.ReasoningSyntax;
import dev.switchyard.engine.tokenizer.StreamingDetokenizer;
import dev.switchyard.engine.tokenizer.Tokenizer;
import dev.switchyard.engine.tools.ToolCallSyntax;
import dev.switchyard.engine.tools.ToolSchemas;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A choice's tokens through the sink with tools offered: calls come out of the content (or out of
 * harmony's messages) with ids and positions, stop strings look at the content only, and without
 * parallel calls the first call ends the choice.
 */
class ChoiceSinkToolCallsTest {

    private static final String HERMES_TEMPLATE = "{% for m in messages %}{% if m.tool_calls is defined %}"
            + "{% for c in m.tool_calls %}<tool_call>{\"name\": \"{{ c.function.name }}\", \"arguments\": "
            + "{{ c.function.arguments | tojson }}}</tool_call>{% endfor %}{% else %}{{ m.content }}{% endif %}{% endfor %}";
    private static final String MISTRAL_TEMPLATE = "{% for m in messages %}{% if m.tool_calls is defined %}"
            + "{% for c in m.tool_calls %}[TOOL_CALLS]{{ c.function.name }}[ARGS]{{ c.function.arguments | tojson }}"
            + "{% endfor %}{% else %}{{ m.content }}{% endif %}{% endfor %}";
    private static final List<String> HARMONY = List.of("<|start|>", "<|end|>", "<|message|>", "<|channel|>",
            "<|constrain|>", "<|return|>", "<|call|>", "<|endoftext|>");
    private static final String ARGUMENTS = "{\"city\":\"Paris\"}";

    private static ToolCallSyntax syntax(String template, Tokenizer tokenizer) {
        return ToolCallSyntax.detect(ChatTemplate.of("tools", "test", template, null, null), tokenizer);
    }

    /** Token ids for text, control tokens written in braces: {@code "{[ARGS]}"}. */
    private static int[] ids(Tokenizer tokenizer, String... parts) {
        List<Integer> out = new ArrayList<>();
        for (String part : parts) {
            if (part.startsWith("{") && part.endsWith("}") && tokenizer.tokenId(part.substring(1, part.length() - 1)) >= 0) {
                out.add(tokenizer.tokenId(part.substring(1, part.length() - 1)));
            } else {
                IntStream.of(tokenizer.encode(part)).forEach(out::add);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A sink and what its listener heard. */
    private record Wired(ChoiceSink sink, ChoiceSinkReasoningTest.Heard heard) {
    }

    private static Wired sink(StreamingDetokenizer detokenizer, ReasoningSplitter splitter, boolean asContent,
                              ToolCallSyntax syntax, boolean parallel, List<String> stops) {
        var heard = new ChoiceSinkReasoningTest.Heard();
        return new Wired(new ChoiceSink(0, detokenizer, splitter, asContent,
                new ChoiceToolCalls(syntax, new ToolUse(ToolSchemas.NONE, parallel), () -> { }), new StopStrings(stops), false,
                null, heard, new Generation(heard, 1, 1), true), heard);
    }

    /** Feeds the reply until the sink ends the sequence or the reply ends. */
    private static ChoiceSinkReasoningTest.Heard run(Wired wired, int[] ids) {
        for (int id : ids) {
            if (!wired.sink().onToken(id, null)) {
                break;
            }
        }
        wired.sink().onFinish(FinishReason.STOP);
        return wired.heard();
    }

    @Test
    void callsWrittenInControlTokensAreReadWhereTheDetokenizerRendersThem() {
        Tokenizer mistral = vocabulary(List.of("[TOOL_CALLS]", "[ARGS]", "</s>"));
        ToolCallSyntax syntax = syntax(MISTRAL_TEMPLATE, mistral);
        assertThat(syntax.kind()).isEqualTo(ToolCallSyntax.Kind.MISTRAL);
        assertThat(syntax.controlMarkers()).containsExactlyInAnyOrder(mistral.tokenId("[TOOL_CALLS]"),
                mistral.tokenId("[ARGS]"));
        int[] reply = ids(mistral, "Checking.", "{[TOOL_CALLS]}", "get_weather", "{[ARGS]}", ARGUMENTS);
        var heard = run(sink(new StreamingDetokenizer(mistral, syntax.controlMarkers()), null, false, syntax, true,
                List.of()), reply);
        assertThat(heard.content).hasToString("Checking.");
        assertThat(heard.calls).hasSize(1);
        ChoiceToolCall call = heard.calls.getFirst();
        assertThat(call.position()).isZero();
        assertThat(call.id()).matches("[A-Za-z0-9]{9}");
        assertThat(call.name()).isEqualTo("get_weather");
        assertThat(call.arguments()).isEqualTo(ARGUMENTS);
    }

    @Test
    void harmonyCallsComeOutOfTheirMessagesWithTheReasoningApartOrInTheContent() {
        Tokenizer harmony = vocabulary(HARMONY);
        ReasoningSyntax reasoning = ReasoningSyntax.detect(null, harmony);
        ToolCallSyntax syntax = ToolCallSyntax.detect(ChatTemplate.of("oss", "test", "{% for m in messages %}"
                + "{% if m.tool_calls is defined %}<|start|>assistant to=functions.{{ m.tool_calls[0].function.name }}"
                + "<|channel|>commentary json<|message|>{}<|call|>{% else %}{{ m.content }}{% endif %}{% endfor %}",
                null, null), harmony);
        assertThat(syntax.kind()).isEqualTo(ToolCallSyntax.Kind.HARMONY);
        int[] reply = ids(harmony, "{<|channel|>}", "analysis", "{<|message|>}", "Need the weather.", "{<|end|>}",
                "{<|start|>}", "assistant", "{<|channel|>}", "commentary to=functions.get_weather ", "{<|constrain|>}",
                "json", "{<|message|>}", ARGUMENTS, "{<|call|>}");
        for (boolean asContent : List.of(false, true)) {
            var heard = run(sink(reasoning.newDetokenizer(), reasoning.newSplitter("<|start|>assistant", true),
                    asContent, syntax, true, List.of()), reply);
            assertThat(heard.reasoning).hasToString(asContent ? "" : "Need the weather.");
            assertThat(heard.content).hasToString(asContent ? "Need the weather." : "");
            assertThat(heard.calls).extracting(ChoiceToolCall::name).containsExactly("get_weather");
            assertThat(heard.calls.getFirst().arguments()).isEqualTo(ARGUMENTS);
        }
    }

    @Test
    void withoutParallelCallsTheFirstCallEndsTheChoice() {
        Tokenizer plain = vocabulary(List.of("<|im_end|>"));
        ToolCallSyntax syntax = syntax(HERMES_TEMPLATE, plain);
        String call = "<tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call>";
        int[] reply = ids(plain, call + "\n" + call.replace("\"a\"", "\"b\"") + " more");
        Wired one = sink(plain.newDetokenizer(), null, false, syntax, false, List.of());
        int taken = 0;
        while (taken < reply.length && one.sink().onToken(reply[taken], null)) {
            taken++;
        }
        assertThat(taken + 1).as("the sequence ends with the first call's last token").isEqualTo(call.length());
        one.sink().onFinish(FinishReason.STOP);
        assertThat(one.heard().calls).extracting(ChoiceToolCall::name).containsExactly("a");

        var both = run(sink(plain.newDetokenizer(), null, false, syntax, true, List.of()), reply);
        assertThat(both.calls).extracting(ChoiceToolCall::name).containsExactly("a", "b");
        assertThat(both.calls).extracting(ChoiceToolCall::position).containsExactly(0, 1);
        assertThat(both.content).hasToString(" more");
    }

    @Test
    void stopStringsLookAtTheContentNotInsideCalls() {
        Tokenizer plain = vocabulary(List.of("<|im_end|>"));
        ToolCallSyntax syntax = syntax(HERMES_TEMPLATE, plain);
        int[] reply = ids(plain, "Paris? <tool_call>{\"name\": \"get_weather\", \"arguments\": " + ARGUMENTS
                + "}</tool_call> Paris it is.");
        var heard = run(sink(plain.newDetokenizer(), null, false, syntax, true, List.of("it is")), reply);
        assertThat(heard.calls).extracting(ChoiceToolCall::arguments).containsExactly(ARGUMENTS);
        assertThat(heard.content).hasToString("Paris?  Paris ");
        assertThat(heard.finish).isEqualTo(FinishReason.STOP);
    }
}
