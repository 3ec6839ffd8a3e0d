package dev.switchyard.server.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.chat.ChatTemplate;
import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.engine.gguf.GgufArray;
import dev.switchyard.engine.gguf.GgufMetadata;
import dev.switchyard.engine.gguf.GgufValue;
import dev.switchyard.engine.gguf.GgufValueType;
import dev.switchyard.engine.reasoning.ReasoningSyntax;
import dev.switchyard.engine.tokenizer.ByteLevel;
import dev.switchyard.engine.tokenizer.Tokenizer;
import dev.switchyard.engine.tokenizer.Tokenizers;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A choice's tokens through the sink as the scheduler hands them over: the detokenizer, the
 * reasoning splitter and the stop strings together, on vocabularies whose markers are control tokens
 * (gpt-oss's harmony) or text (think tags).
 */
class ChoiceSinkReasoningTest {

    private static final List<String> HARMONY = List.of("<|start|>", "<|end|>", "<|message|>", "<|channel|>",
            "<|constrain|>", "<|return|>", "<|call|>", "<|endoftext|>");

    /** A byte-level vocabulary: the 256 byte characters, then {@code controls} as control tokens. */
    static Tokenizer vocabulary(List<String> controls) {
        List<String> tokens = new ArrayList<>();
        long[] types = new long[256 + controls.size()];
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf(ByteLevel.charOf(b)));
            types[b] = 1;
        }
        for (String c : controls) {
            types[tokens.size()] = 3;
            tokens.add(c);
        }
        Map<String, GgufValue> md = new HashMap<>();
        md.put("tokenizer.ggml.model", GgufValue.ofString("gpt2"));
        md.put("tokenizer.ggml.pre", GgufValue.ofString("gpt-2"));
        md.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings(tokens.toArray(String[]::new))));
        md.put("tokenizer.ggml.token_type", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, types)));
        md.put("tokenizer.ggml.merges", GgufValue.ofArray(GgufArray.ofStrings()));
        md.put("tokenizer.ggml.eos_token_id", GgufValue.ofUint32(tokens.size() - 1));
        return Tokenizers.fromMetadata(new GgufMetadata(md));
    }

    /** What a listener heard from one choice. */
    static final class Heard implements GenerationListener {
        final StringBuilder reasoning = new StringBuilder();
        final StringBuilder content = new StringBuilder();
        final List<String> events = new ArrayList<>();
        final List<ChoiceToolCall> calls = new ArrayList<>();
        int tokens;
        FinishReason finish;

        @Override
        public void onToolCalls(int index, List<ChoiceToolCall> made) {
            calls.addAll(made);
        }

        @Override
        public void onToken(int index, int token, String reasoning, String text, TokenLogprob logprob) {
            tokens++;
            heard(reasoning, text);
        }

        @Override
        public void onChoiceFinished(int index, FinishReason reason, String reasoning, String text) {
            finish = reason;
            heard(reasoning, text);
        }

        private void heard(String r, String c) {
            reasoning.append(r);
            content.append(c);
            events.add(r);
            events.add(c);
        }

        @Override
        public void onChoiceFailed(int index, RuntimeException error) {
            throw error;
        }

        @Override
        public void onComplete(Usage usage) {
        }
    }

    /** Token ids for a reply written as text with control tokens in braces: {@code "{<|end|>}"}. */
    private static int[] reply(Tokenizer tokenizer, String... parts) {
        List<Integer> ids = new ArrayList<>();
        for (String part : parts) {
            if (part.startsWith("{") && part.endsWith("}")) {
                ids.add(tokenizer.tokenId(part.substring(1, part.length() - 1)));
            } else {
                for (int id : tokenizer.encode(part)) {
                    ids.add(id);
                }
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private static Heard run(ReasoningSyntax syntax, String promptTail, List<String> stops, int[] ids,
                             FinishReason reason) {
        Heard heard = new Heard();
        ChoiceSink sink = new ChoiceSink(0, syntax.newDetokenizer(), syntax.newSplitter(promptTail), new StopStrings(stops),
                false, null, heard, new Generation(heard, 1, 1), true);
        for (int id : ids) {
            if (!sink.onToken(id, null)) {
                reason = FinishReason.STOP;
                break;
            }
        }
        sink.onFinish(reason);
        return heard;
    }

    @Test
    void harmonyRepliesReachTheListenerAsReasoningAndContentWithoutAMarker() {
        Tokenizer harmony = vocabulary(HARMONY);
        ReasoningSyntax syntax = ReasoningSyntax.detect(null, harmony);
        int[] ids = reply(harmony, "{<|channel|>}", "analysis", "{<|message|>}", "The user greets me.", "{<|end|>}",
                "{<|start|>}", "assistant", "{<|channel|>}", "final", "{<|message|>}", "Hello! 1 < 2.", "{<|return|>}");
        Heard heard = run(syntax, "<|start|>assistant", List.of(), ids, FinishReason.STOP);
        assertThat(heard.reasoning).hasToString("The user greets me.");
        assertThat(heard.content).hasToString("Hello! 1 < 2.");
        assertThat(heard.tokens).as("one event per token, for per-token logprobs").isEqualTo(ids.length);
        assertThat(heard.events).noneMatch(e -> e.contains("<|") || e.contains("analysis") || e.contains("final"));
        assertThat(harmony.decode(ids)).as("as generated, without reasoning apart")
                .isEqualTo("analysisThe user greets me.assistantfinalHello! 1 < 2.");
    }

    @Test
    void stopStringsCutTheAnswerButNotTheReasoning() {
        Tokenizer plain = vocabulary(List.of("<|im_start|>", "<|im_end|>"));
        ReasoningSyntax syntax = ReasoningSyntax.detect(ChatTemplate.of("think", "test", "{{ '<think>' }}", null, null), plain);
        int[] ids = reply(plain, "Say STOP? No.</think>\n\nAnswer STOP here");
        Heard heard = run(syntax, "<|im_start|>assistant\n<think>\n", List.of("STOP"), ids, FinishReason.LENGTH);
        assertThat(heard.reasoning).hasToString("Say STOP? No.");
        assertThat(heard.content).hasToString("Answer ");
        assertThat(heard.finish).isEqualTo(FinishReason.STOP);
        assertThat(heard.tokens).as("the stop string ended the sequence at its last character")
                .isEqualTo("Say STOP? No.</think>\n\nAnswer STOP".length());
    }

    @Test
    void thinkingStillOpenWhenTheChoiceEndsIsAllReasoning() {
        Tokenizer plain = vocabulary(List.of("<|im_start|>", "<|im_end|>"));
        ReasoningSyntax syntax = ReasoningSyntax.detect(ChatTemplate.of("think", "test", "{{ '<think>' }}", null, null), plain);
        Heard heard = run(syntax, "<|im_start|>assistant\n", List.of(), reply(plain, "<think>\nStill going </thi"),
                FinishReason.LENGTH);
        assertThat(heard.reasoning).hasToString("Still going </thi");
        assertThat(heard.content).isEmpty();
        assertThat(heard.finish).isEqualTo(FinishReason.LENGTH);
    }
}
