package dev.switchyard.engine.reasoning;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.reasoning.ThinkTagSplitter.Start;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class ReasoningSplitterTest {

    private static final String HARMONY_PROMPT = "<|start|>user<|message|>Hi<|end|><|start|>assistant";

    /** Reasoning and content of a reply fed as {@code chunks}, each field's pieces concatenated. */
    record Split(String reasoning, String content) {
    }

    static Split feed(ReasoningSplitter s, List<String> chunks) {
        StringBuilder reasoning = new StringBuilder();
        StringBuilder content = new StringBuilder();
        for (String chunk : chunks) {
            s.push(chunk);
            reasoning.append(s.reasoning());
            content.append(s.content());
        }
        s.finish("");
        reasoning.append(s.reasoning());
        content.append(s.content());
        return new Split(reasoning.toString(), content.toString());
    }

    static Split whole(Supplier<ReasoningSplitter> splitter, String reply) {
        return feed(splitter.get(), List.of(reply));
    }

    /** The reply cut at every position, one character at a time, and into random chunks: always the same split. */
    static Split sameHoweverCut(Supplier<ReasoningSplitter> splitter, String reply) {
        Split expected = whole(splitter, reply);
        List<String> single = new ArrayList<>();
        for (int i = 0; i < reply.length(); i++) {
            single.add(reply.substring(i, i + 1));
        }
        assertThat(feed(splitter.get(), single)).as("one character at a time: %s", reply).isEqualTo(expected);
        for (int cut = 0; cut <= reply.length(); cut++) {
            assertThat(feed(splitter.get(), List.of(reply.substring(0, cut), reply.substring(cut))))
                    .as("cut at %d: %s", cut, reply).isEqualTo(expected);
        }
        Random random = new Random(reply.hashCode());
        for (int round = 0; round < 200; round++) {
            List<String> chunks = new ArrayList<>();
            for (int at = 0; at < reply.length(); ) {
                int len = Math.min(reply.length() - at, random.nextInt(6));
                chunks.add(reply.substring(at, at + len)); // empty chunks too: tokens that release no text
                at += len;
            }
            assertThat(feed(splitter.get(), chunks)).as("chunks %s", chunks).isEqualTo(expected);
        }
        return expected;
    }

    private static Supplier<ReasoningSplitter> think(Start start) {
        return () -> new ThinkTagSplitter(start);
    }

    private static Supplier<ReasoningSplitter> harmony(String promptTail) {
        return () -> HarmonySplitter.after(promptTail);
    }

    @Test
    void aReplyThatStartsInsideThePromptsThinkingIsReasoningUpToTheClosingTag() {
        Split s = sameHoweverCut(think(Start.INSIDE), "Two and two.\nFour.\n</think>\n\nThe answer is 4.");
        assertThat(s).isEqualTo(new Split("Two and two.\nFour.\n", "The answer is 4."));
    }

    @Test
    void aLeadingThinkTagOpensTheReasoningAndIsDropped() {
        Split s = sameHoweverCut(think(Start.MAY_OPEN), "<think>\nLet me see.</think>\n\nYes.");
        assertThat(s).isEqualTo(new Split("Let me see.", "Yes."));
    }

    @Test
    void whitespaceMayPrecedeTheLeadingThinkTag() {
        assertThat(sameHoweverCut(think(Start.MAY_OPEN), "\n<think>\nHmm.</think>\nSure.")).isEqualTo(new Split("Hmm.", "Sure."));
        assertThat(sameHoweverCut(think(Start.MAY_OPEN), "\n\nSure.")).as("no tag: the reply as it is")
                .isEqualTo(new Split("", "\n\nSure."));
    }

    @Test
    void withoutALeadingTagTheReplyIsAllContentLaterTagsIncluded() {
        String reply = "Sure: <think> and </think> are tags.";
        assertThat(sameHoweverCut(think(Start.MAY_OPEN), reply)).isEqualTo(new Split("", reply));
        assertThat(sameHoweverCut(think(Start.MAY_OPEN), "<thin")).isEqualTo(new Split("", "<thin"));
    }

    @Test
    void onlyTheFirstClosingTagEndsTheReasoning() {
        Split s = sameHoweverCut(think(Start.INSIDE), "a</think>b</think>c");
        assertThat(s).isEqualTo(new Split("a", "b</think>c"));
    }

    @Test
    void emptyThinkingLeavesOnlyContent() {
        assertThat(sameHoweverCut(think(Start.MAY_OPEN), "<think>\n\n</think>\n\nHello.")).isEqualTo(new Split("", "Hello."));
        assertThat(sameHoweverCut(think(Start.INSIDE), "</think>Hello.")).isEqualTo(new Split("", "Hello."));
    }

    @Test
    void thinkingThePromptClosedLeavesTheWholeReplyAsContent() {
        assertThat(sameHoweverCut(think(Start.CLOSED), "\n\nHello </think> there"))
                .isEqualTo(new Split("", "Hello </think> there"));
    }

    @Test
    void unclosedThinkingAtTheEndIsAllReasoningHeldTextIncluded() {
        assertThat(sameHoweverCut(think(Start.INSIDE), "Still thinking </thi")).isEqualTo(new Split("Still thinking </thi", ""));
        assertThat(sameHoweverCut(think(Start.MAY_OPEN), "<think>Hmm")).isEqualTo(new Split("Hmm", ""));
    }

    @Test
    void onlyWhatMayBeginAMarkerIsHeldBack() {
        ReasoningSplitter s = new ThinkTagSplitter(Start.INSIDE);
        s.push("x < y and a</th");
        assertThat(s.reasoning()).isEqualTo("x < y and a");
        s.push("en");
        assertThat(s.reasoning()).as("'</then' cannot begin </think>").isEqualTo("</then");
        s.push("<");
        assertThat(s.reasoning()).isEmpty();
        s.push("/think>The");
        assertThat(s.reasoning()).isEmpty();
        assertThat(s.content()).isEqualTo("The");
        s.push(" end");
        assertThat(s.content()).isEqualTo(" end");
    }

    @Test
    void aDeltaWithoutMarkupIsReleasedAsItIsWithoutCopying() {
        ReasoningSplitter thinking = new ThinkTagSplitter(Start.INSIDE);
        thinking.push("Hmm");
        String delta = " let me think";
        thinking.push(delta);
        assertThat(thinking.reasoning()).isSameAs(delta);
        ReasoningSplitter harmony = HarmonySplitter.after(HARMONY_PROMPT);
        harmony.push("<|channel|>final<|message|>");
        harmony.push(delta);
        assertThat(harmony.content()).isSameAs(delta);
    }

    @Test
    void textWithoutAnyMarkersIsAllContentAndNeverHeld() {
        ReasoningSplitter s = new ThinkTagSplitter(Start.MAY_OPEN);
        s.push("Plain");
        assertThat(s.content()).isEqualTo("Plain");
        s.push(" answer.");
        assertThat(s.content()).isEqualTo(" answer.");
        assertThat(sameHoweverCut(think(Start.MAY_OPEN), "Just an answer, 1 < 2.")).isEqualTo(new Split("", "Just an answer, 1 < 2."));
        assertThat(sameHoweverCut(harmony(HARMONY_PROMPT), "Just an answer, 1 < 2.")).isEqualTo(new Split("", "Just an answer, 1 < 2."));
        ReasoningSplitter h = HarmonySplitter.after(HARMONY_PROMPT);
        h.push("Plain");
        assertThat(h.content()).as("a reply that ignores the format is not held").isEqualTo("Plain");
    }

    @Test
    void harmonyAnalysisIsReasoningAndFinalIsContent() {
        String reply = "<|channel|>analysis<|message|>User says hi. Reply politely.<|end|>"
                + "<|start|>assistant<|channel|>final<|message|>Hello! How can I help?<|return|>";
        assertThat(sameHoweverCut(harmony(HARMONY_PROMPT), reply))
                .isEqualTo(new Split("User says hi. Reply politely.", "Hello! How can I help?"));
    }

    @Test
    void harmonyCommentaryIsContent() {
        String reply = "<|channel|>analysis<|message|>Need the weather.<|end|>"
                + "<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json"
                + "<|message|>{\"city\":\"Paris\"}<|call|>";
        assertThat(sameHoweverCut(harmony(HARMONY_PROMPT), reply))
                .isEqualTo(new Split("Need the weather.", "{\"city\":\"Paris\"}"));
        String preamble = "<|channel|>commentary<|message|>Let me look that up.<|end|>";
        assertThat(sameHoweverCut(harmony(HARMONY_PROMPT), preamble)).isEqualTo(new Split("", "Let me look that up."));
    }

    @Test
    void harmonyRecipientInTheRoleHeaderIsNotShown() {
        String reply = " to=functions.f<|channel|>commentary json<|message|>{}<|call|>";
        assertThat(sameHoweverCut(harmony(HARMONY_PROMPT), reply)).isEqualTo(new Split("", "{}"));
    }

    @Test
    void harmonyReplyEndingInsideAMessageKeepsWhatItWrote() {
        assertThat(sameHoweverCut(harmony(HARMONY_PROMPT), "<|channel|>analysis<|message|>Thinking <|e"))
                .isEqualTo(new Split("Thinking <|e", ""));
        assertThat(sameHoweverCut(harmony(HARMONY_PROMPT), "<|channel|>analysis<|message|>Done.<|end|><|start|>assistant<|chan"))
                .isEqualTo(new Split("Done.", ""));
    }

    @Test
    void harmonyPromptThatOpenedAChannelStartsInItsBody() {
        Split s = sameHoweverCut(harmony("<|start|>assistant<|channel|>final<|message|>"), "Answer.<|return|>");
        assertThat(s).isEqualTo(new Split("", "Answer."));
        Split t = sameHoweverCut(harmony("<|start|>assistant<|channel|>analysis<|message|>"), "Hmm.<|end|>");
        assertThat(t).isEqualTo(new Split("Hmm.", ""));
    }
}
