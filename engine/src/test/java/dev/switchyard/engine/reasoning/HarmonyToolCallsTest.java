package dev.switchyard.engine.reasoning;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.tools.ToolCall;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * gpt-oss calls a tool by a message to {@code functions.<name>}; with calls asked for, the splitter
 * returns its JSON body as a call, however the reply is cut into deltas, and leaves every other
 * message as before.
 */
class HarmonyToolCallsTest {

    private static final String PROMPT = "<|start|>user<|message|>What's the weather in Paris?<|end|><|start|>assistant";
    private static final String ARGUMENTS = "{\"city\": \"Paris\", \"unit\": \"celsius\"}";

    private record Out(String reasoning, String content, List<ToolCall> calls) {}

    /** The reply cut at every position into two deltas, and into single characters: all must agree. */
    private static Out sameHoweverCut(String reply, boolean takeCalls) {
        Out first = null;
        List<List<String>> cuts = new ArrayList<>();
        for (int at = 0; at <= reply.length(); at++) {
            cuts.add(List.of(reply.substring(0, at), reply.substring(at)));
        }
        cuts.add(reply.chars().mapToObj(c -> String.valueOf((char) c)).toList());
        for (List<String> deltas : cuts) {
            ReasoningSplitter s = HarmonySplitter.after(PROMPT, takeCalls);
            StringBuilder reasoning = new StringBuilder();
            StringBuilder content = new StringBuilder();
            List<ToolCall> calls = new ArrayList<>();
            for (int i = 0; i < deltas.size(); i++) {
                if (i + 1 < deltas.size()) {
                    s.push(deltas.get(i));
                } else {
                    s.finish(deltas.get(i));
                }
                reasoning.append(s.reasoning());
                content.append(s.content());
                calls.addAll(s.calls());
            }
            Out out = new Out(reasoning.toString(), content.toString(), calls);
            if (first == null) {
                first = out;
            } else {
                assertThat(out).as("cut as " + deltas).isEqualTo(first);
            }
        }
        return first;
    }

    @Test
    void aCallWithTheRecipientBeforeTheChannelIsACall() {
        // As gpt-oss's own template writes a past call back.
        Out out = sameHoweverCut(" to=functions.get_weather<|channel|>commentary json<|message|>" + ARGUMENTS
                + "<|call|>", true);
        assertThat(out).isEqualTo(new Out("", "", List.of(new ToolCall("get_weather", ARGUMENTS))));
    }

    @Test
    void aCallWithTheRecipientAfterTheChannelFollowsItsReasoning() {
        Out out = sameHoweverCut("<|channel|>analysis<|message|>Need the weather.<|end|><|start|>assistant"
                + "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>" + ARGUMENTS + "<|call|>",
                true);
        assertThat(out).isEqualTo(new Out("Need the weather.", "", List.of(new ToolCall("get_weather", ARGUMENTS))));
    }

    @Test
    void aPreambleStaysContentBeforeTheCall() {
        Out out = sameHoweverCut("<|channel|>commentary<|message|>Checking the sky.<|end|><|start|>assistant"
                + " to=functions.get_weather<|channel|>commentary json<|message|>{}<|call|>", true);
        assertThat(out).isEqualTo(new Out("", "Checking the sky.", List.of(new ToolCall("get_weather", "{}"))));
    }

    @Test
    void withoutCallsAskedForTheArgumentsAreContentAsBefore() {
        Out out = sameHoweverCut(" to=functions.get_weather<|channel|>commentary json<|message|>" + ARGUMENTS
                + "<|call|>", false);
        assertThat(out).isEqualTo(new Out("", ARGUMENTS, List.of()));
    }

    @Test
    void argumentsThatAreNotAnObjectStayContent() {
        Out cut = sameHoweverCut(" to=functions.get_weather<|channel|>commentary json<|message|>{\"city\": \"Par", true);
        assertThat(cut).isEqualTo(new Out("", "{\"city\": \"Par", List.of()));
        Out list = sameHoweverCut(" to=functions.get_weather<|channel|>commentary json<|message|>[1]<|call|>", true);
        assertThat(list).isEqualTo(new Out("", "[1]", List.of()));
    }

    @Test
    void aReplyCutOffAfterCompleteArgumentsIsStillACall() {
        Out out = sameHoweverCut(" to=functions.get_weather<|channel|>commentary json<|message|>" + ARGUMENTS, true);
        assertThat(out.calls()).containsExactly(new ToolCall("get_weather", ARGUMENTS));
    }

    @Test
    void aBuiltInToolsRecipientIsNotAFunctionCall() {
        Out out = sameHoweverCut("<|channel|>analysis<|message|>Search.<|end|><|start|>assistant to=browser.search"
                + "<|channel|>commentary json<|message|>{\"query\": \"sky\"}<|call|>", true);
        assertThat(out).isEqualTo(new Out("Search.", "{\"query\": \"sky\"}", List.of()));
    }

    @Test
    void twoCallsInOneReplyAreTwoCalls() {
        Out out = sameHoweverCut(" to=functions.a<|channel|>commentary json<|message|>{\"x\": 1}<|call|>"
                + "<|start|>assistant to=functions.b<|channel|>commentary json<|message|>{\"y\": 2}<|call|>", true);
        assertThat(out.calls()).containsExactly(new ToolCall("a", "{\"x\": 1}"), new ToolCall("b", "{\"y\": 2}"));
    }
}
