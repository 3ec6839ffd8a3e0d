package dev.switchyard.engine.reasoning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.switchyard.engine.SharedFolder;
import dev.switchyard.engine.chat.ChatMessage;
import dev.switchyard.engine.chat.ChatPromptEncoder;
import dev.switchyard.engine.chat.ChatTemplate;
import dev.switchyard.engine.gguf.GgufArray;
import dev.switchyard.engine.gguf.GgufMetadata;
import dev.switchyard.engine.gguf.GgufValue;
import dev.switchyard.engine.gguf.GgufValueType;
import dev.switchyard.engine.reasoning.ReasoningSyntax.Kind;
import dev.switchyard.engine.reasoning.ThinkTagSplitter.Start;
import dev.switchyard.engine.tokenizer.ByteLevel;
import dev.switchyard.engine.tokenizer.StreamingDetokenizer;
import dev.switchyard.engine.tokenizer.Tokenizer;
import dev.switchyard.engine.tokenizer.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ReasoningSyntaxTest {

    private static final List<String> HARMONY_TOKENS = List.of("<|start|>", "<|end|>", "<|message|>", "<|channel|>",
            "<|constrain|>", "<|return|>", "<|call|>", "<|startoftext|>", "<|endoftext|>");
    private static final List<String> CHATML_TOKENS = List.of("<|im_start|>", "<|im_end|>", "<|endoftext|>");

    /**
     * A byte-level vocabulary: the 256 byte characters, then {@code controls} as control tokens and
     * {@code added} as user-defined ones (as Qwen3 files its think tags).
     */
    static Tokenizer vocabulary(List<String> controls, List<String> added) {
        List<String> tokens = new ArrayList<>();
        List<Long> types = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf(ByteLevel.charOf(b)));
            types.add(1L);
        }
        controls.forEach(t -> {
            tokens.add(t);
            types.add(3L);
        });
        added.forEach(t -> {
            tokens.add(t);
            types.add(4L);
        });
        Map<String, GgufValue> md = new HashMap<>();
        md.put("tokenizer.ggml.model", GgufValue.ofString("gpt2"));
        md.put("tokenizer.ggml.pre", GgufValue.ofString("gpt-2"));
        md.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings(tokens.toArray(String[]::new))));
        md.put("tokenizer.ggml.token_type", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32,
                types.stream().mapToLong(Long::longValue).toArray())));
        md.put("tokenizer.ggml.merges", GgufValue.ofArray(GgufArray.ofStrings()));
        md.put("tokenizer.ggml.eos_token_id", GgufValue.ofUint32(tokens.indexOf(controls.getLast())));
        return Tokenizers.fromMetadata(new GgufMetadata(md));
    }

    private static Optional<Path> templates() {
        return SharedFolder.subfolder("chat-templates");
    }

    private static ChatTemplate template(String stem) throws IOException {
        Optional<Path> dir = templates();
        assumeTrue(dir.isPresent(), "shared chat-templates folder not found: real templates not tested");
        Path file = dir.get().resolve(stem + ".jinja");
        assumeTrue(Files.isRegularFile(file), file + " is missing");
        return ChatTemplate.of(stem, file.toString(), Files.readString(file), "<|startoftext|>", "<|endoftext|>");
    }

    /** Where the reply begins after the template's generation prompt for one user turn, rendered with {@code kwargs}. */
    private static Start start(ChatTemplate template, Map<String, Object> kwargs) {
        String prompt = template.render(List.of(ChatMessage.user("What is 2+2?")), true, null, kwargs);
        return ThinkTagSplitter.startAfter(prompt);
    }

    @Test
    void thinkingTemplatesAreFoundFromTheirText() throws IOException {
        Tokenizer plain = vocabulary(CHATML_TOKENS, List.of());
        for (String stem : List.of("Qwen-Qwen3-0.6B", "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B", "Qwen-QwQ-32B",
                "GLM-4.6", "Kimi-K2-Thinking", "deepseek-ai-DeepSeek-V3.1", "MiniMax-M2")) {
            ReasoningSyntax syntax = ReasoningSyntax.detect(template(stem), plain);
            assertThat(syntax).as(stem).isNotNull();
            assertThat(syntax.kind()).as(stem).isEqualTo(Kind.THINK_TAGS);
        }
    }

    @Test
    void whetherTheGenerationPromptOpenedTheThinkingIsReadFromTheRenderedPrompt() throws IOException {
        ChatTemplate qwen3 = template("Qwen-Qwen3-0.6B");
        assertThat(start(qwen3, Map.of())).as("Qwen3 leaves <think> to the model").isEqualTo(Start.MAY_OPEN);
        assertThat(start(qwen3, Map.of("enable_thinking", false))).as("Qwen3, thinking off").isEqualTo(Start.CLOSED);

        ChatTemplate r1 = template("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B");
        assertThat(start(r1, Map.of("enable_thinking", true))).isEqualTo(Start.INSIDE);
        assertThat(start(r1, Map.of("enable_thinking", false))).isEqualTo(Start.CLOSED);
        assertThat(start(template("Qwen-QwQ-32B"), Map.of("enable_thinking", true))).isEqualTo(Start.INSIDE);

        ChatTemplate glm = template("GLM-4.6");
        assertThat(start(glm, Map.of())).isEqualTo(Start.MAY_OPEN);
        assertThat(start(glm, Map.of("enable_thinking", false))).isEqualTo(Start.CLOSED);

        ChatTemplate v31 = template("deepseek-ai-DeepSeek-V3.1");
        assertThat(start(v31, Map.of())).as("V3.1 thinks only when asked").isEqualTo(Start.CLOSED);
        assertThat(start(v31, Map.of("thinking", true))).isEqualTo(Start.INSIDE);

        assertThat(start(template("Kimi-K2-Thinking"), Map.of())).isEqualTo(Start.MAY_OPEN);
        assertThat(start(template("MiniMax-M2"), Map.of())).isEqualTo(Start.INSIDE);
    }

    @Test
    void gptOssIsHarmonyAndItsGenerationPromptLeavesTheReplyInAHeader() throws IOException {
        ChatTemplate gptOss = template("openai-gpt-oss-120b");
        Tokenizer harmony = vocabulary(HARMONY_TOKENS, List.of());
        ReasoningSyntax syntax = ReasoningSyntax.detect(gptOss, harmony);
        assertThat(syntax).isNotNull();
        assertThat(syntax.kind()).isEqualTo(Kind.HARMONY);
        assertThat(syntax.controlMarkers()).as("every harmony marker is a control token here").hasSize(7);

        int[] prompt = ChatPromptEncoder.encode(gptOss, harmony, List.of(ChatMessage.user("What is 2+2?")), true, null,
                Map.of());
        String tail = syntax.promptTail(prompt);
        assertThat(tail).endsWith("<|start|>assistant");
        ReasoningSplitter s = syntax.newSplitter(tail);
        s.push("<|channel|>analysis<|message|>Simple.<|end|><|start|>assistant<|channel|>final<|message|>4");
        assertThat(s.reasoning()).isEqualTo("Simple.");
        assertThat(s.content()).isEqualTo("4");
    }

    @Test
    void harmonyMarkersReachTheSplitterThoughPlainDetokenizingHidesThem() {
        Tokenizer harmony = vocabulary(HARMONY_TOKENS, List.of());
        ReasoningSyntax syntax = ReasoningSyntax.detect(null, harmony);
        int channel = harmony.tokenId("<|channel|>");
        int ret = harmony.tokenId("<|return|>");
        int eot = harmony.tokenId("<|endoftext|>");
        StreamingDetokenizer forSplitter = syntax.newDetokenizer();
        assertThat(forSplitter.push(channel)).isEqualTo("<|channel|>");
        assertThat(forSplitter.push(ret)).isEqualTo("<|return|>");
        assertThat(forSplitter.push(eot)).as("not a harmony marker: silent as ever").isEmpty();
        assertThat(harmony.newDetokenizer().push(channel)).isEmpty();
    }

    @Test
    void aThinkTokenInTheVocabularyIsEnoughAndControlTagsAreRendered() {
        Tokenizer qwen3Like = vocabulary(CHATML_TOKENS, List.of("<think>", "</think>"));
        ReasoningSyntax syntax = ReasoningSyntax.detect(null, qwen3Like);
        assertThat(syntax.kind()).isEqualTo(Kind.THINK_TAGS);
        assertThat(syntax.controlMarkers()).as("user-defined tags render anyway").isEmpty();

        Tokenizer controlTags = vocabulary(List.of("<think>", "</think>", "<|im_end|>"), List.of());
        ReasoningSyntax control = ReasoningSyntax.detect(null, controlTags);
        assertThat(control.controlMarkers()).containsExactly(controlTags.tokenId("<think>"), controlTags.tokenId("</think>"));
        assertThat(control.newDetokenizer().push(controlTags.tokenId("</think>"))).isEqualTo("</think>");
    }

    @Test
    void modelsWithoutAConventionHaveNone() throws IOException {
        Tokenizer plain = vocabulary(CHATML_TOKENS, List.of());
        assertThat(ReasoningSyntax.detect(null, plain)).isNull();
        for (String stem : List.of("Qwen-Qwen2.5-7B-Instruct", "meta-llama-Llama-3.1-8B-Instruct",
                "mistralai-Mistral-Nemo-Instruct-2407")) {
            assertThat(ReasoningSyntax.detect(template(stem), plain)).as(stem).isNull();
        }
    }

    @Test
    void templatesThatOnlyMentionThinkingDoNotMakeAPlainReplyReasoning() throws IOException {
        ChatTemplate granite = template("ibm-granite-granite-3.3-2B-Instruct");
        ReasoningSyntax syntax = ReasoningSyntax.detect(granite, vocabulary(CHATML_TOKENS, List.of()));
        assertThat(syntax.kind()).isEqualTo(Kind.THINK_TAGS);
        assertThat(start(granite, Map.of())).isEqualTo(Start.MAY_OPEN);
        ReasoningSplitter s = syntax.newSplitter("<|start_of_role|>assistant<|end_of_role|>");
        s.push("Hello there.");
        assertThat(s.content()).isEqualTo("Hello there.");
    }

    @Test
    void familiesThatNameTheirTagsTheirOwnWaySplitOnThoseTags() throws IOException {
        Tokenizer plain = vocabulary(CHATML_TOKENS, List.of());
        for (String[] family : List.of(new String[] {"ByteDance-Seed-OSS", "<seed:think>", "</seed:think>"},
                new String[] {"MiniMax-M3", "<mm:think>", "</mm:think>"})) {
            ReasoningSyntax syntax = ReasoningSyntax.detect(template(family[0]), plain);
            assertThat(syntax.kind()).as(family[0]).isEqualTo(Kind.THINK_TAGS);
            assertThat(syntax.describe()).isEqualTo(family[1] + " tags");
            ReasoningSplitter opened = syntax.newSplitter("assistant\n");
            opened.push(family[1] + "Rain is likely.");
            String reasoning = opened.reasoning();
            opened.finish(family[2] + "\n\nTake an umbrella. <think>stays</think>");
            assertThat(reasoning + opened.reasoning()).isEqualTo("Rain is likely.");
            assertThat(opened.content()).isEqualTo("Take an umbrella. <think>stays</think>");
            ReasoningSplitter inside = syntax.newSplitter("assistant\n" + family[1]);
            inside.finish("Rain is likely." + family[2] + "Umbrella.");
            assertThat(inside.reasoning()).isEqualTo("Rain is likely.");
            assertThat(inside.content()).isEqualTo("Umbrella.");
        }
    }
}
