package dev.switchyard.engine.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.switchyard.engine.chat.ChatTemplate;
import dev.switchyard.engine.chat.ChatTestData;
import dev.switchyard.engine.chat.ChatTestData.Conversation;
import dev.switchyard.engine.reasoning.ReasoningSplitter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * A model writes tool calls as its own chat template writes past calls back into the conversation,
 * so each real template's rendering of the {@code tools} conversation (an assistant turn calling
 * {@code get_weather(city="Paris", unit="celsius")}, as Python's jinja2 renders it) holds a reply
 * in the model's own syntax. For every template whose syntax is read, that reply, cut into deltas
 * every way at two pieces and one character at a time, must come back as exactly that call with no
 * content; every other template must be detected as writing no syntax we read, so the server
 * refuses tools for its model instead of returning calls as text.
 */
class RealTemplateToolCallsTest {

    /** How a reply in a template's syntax ends: the end-of-turn text after it, cut off (the model stops there). */
    private record Expected(ToolCallSyntax.Kind kind, String endOfReply) {}

    private static final Map<String, Expected> READ = read();

    /** Templates whose calls are in a syntax not read (their models get a 400 for tools), with the syntax. */
    private static final Map<String, String> NOT_READ = notRead();

    /**
     * Templates jinja2 cannot render the {@code tools} conversation with (a {@code tools.error}, no
     * {@code tools.txt}) though this server's engine can: their kind is checked, and their call as
     * this engine writes it read back.
     */
    private static final Map<String, Expected> UNRENDERED = Map.of(
            "Kimi-K2-Instruct", new Expected(ToolCallSyntax.Kind.KIMI, "<|im_end|>"),
            "Kimi-K2-Thinking", new Expected(ToolCallSyntax.Kind.KIMI, "<|im_end|>"),
            "llama-cpp-deepseek-r1", new Expected(ToolCallSyntax.Kind.DEEPSEEK, "<｜end▁of▁sentence｜>"));

    private static Map<String, Expected> read() {
        Map<String, Expected> m = new TreeMap<>();
        ToolCallSyntax.Kind hermes = ToolCallSyntax.Kind.HERMES;
        for (String stem : List.of("Bielik-11B-v3.0-Instruct", "MiMo-VL", "NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use",
                "NousResearch-Hermes-3-Llama-3.1-8B-tool_use", "Qwen-QwQ-32B", "Qwen-Qwen2.5-7B-Instruct",
                "Qwen-Qwen3-0.6B")) {
            m.put(stem, new Expected(hermes, "<|im_end|>"));
        }
        m.put("Reka-Edge", new Expected(hermes, "<sep>"));
        m.put("ibm-granite-granite-4.0", new Expected(hermes, "<|end_of_text|>"));
        m.put("ibm-granite-granite-4.1", new Expected(hermes, "<|end_of_text|>"));
        ToolCallSyntax.Kind block = ToolCallSyntax.Kind.JSON_BLOCK;
        m.put("MiniMax-M1", new Expected(block, "<end_of_sentence>"));
        m.put("Apriel-1.6-15b-Thinker-fixed", new Expected(block, "<|end|>"));
        m.put("unsloth-Apriel-1.5", new Expected(block, "<|end|>"));
        m.put("NVIDIA-Nemotron-Nano-v2", new Expected(block, "<SPECIAL_12>"));
        ToolCallSyntax.Kind mistral = ToolCallSyntax.Kind.MISTRAL;
        for (String stem : List.of("Mistral-Small-3.2-24B-Instruct-2506", "mistralai-Ministral-3-14B-Reasoning-2512",
                "mistralai-Mistral-Nemo-Instruct-2407", "unsloth-mistral-Devstral-Small-2507")) {
            m.put(stem, new Expected(mistral, "</s>"));
        }
        m.put("openai-gpt-oss-120b", new Expected(ToolCallSyntax.Kind.HARMONY, "<|call|>"));
        ToolCallSyntax.Kind deepSeek = ToolCallSyntax.Kind.DEEPSEEK;
        m.put("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B", new Expected(deepSeek, "<｜end▁of▁sentence｜>"));
        m.put("deepseek-ai-DeepSeek-V3.1", new Expected(deepSeek, "<｜end▁of▁sentence｜>"));
        m.put("moonshotai-Kimi-K2", new Expected(ToolCallSyntax.Kind.KIMI, "<|im_end|>"));
        ToolCallSyntax.Kind xml = ToolCallSyntax.Kind.XML_FUNCTION;
        for (String stem : List.of("Qwen3-Coder", "Qwen3.5-4B", "NVIDIA-Nemotron-3-Nano-30B-A3B-BF16",
                "StepFun3.5-Flash")) {
            m.put(stem, new Expected(xml, "<|im_end|>"));
        }
        m.put("ByteDance-Seed-OSS", new Expected(xml, "<seed:eos>"));
        ToolCallSyntax.Kind glm = ToolCallSyntax.Kind.GLM;
        m.put("GLM-4.6", new Expected(glm, "<|observation|>"));
        m.put("GLM-4.7-Flash", new Expected(glm, "<|observation|>"));
        for (String stem : List.of("poolside-Laguna-S-2.1", "poolside-Laguna-XS-2.1", "poolside-Laguna-XS.2")) {
            m.put(stem, new Expected(glm, "</assistant>"));
        }
        m.put("MiniMax-M2", new Expected(ToolCallSyntax.Kind.MINIMAX, "[e~["));
        m.put("MiniMax-M3", new Expected(ToolCallSyntax.Kind.MINIMAX_M3, "[e~["));
        m.put("LFM2.5-8B-A1B", new Expected(ToolCallSyntax.Kind.PYTHON_CALLS, "<|im_end|>"));
        for (String stem : List.of("deepseek-ai-DeepSeek-V3.2", "deepseek-ai-DeepSeek-V4",
                "deepseek-ai-DeepSeek-V4-Flash-0731")) {
            m.put(stem, new Expected(ToolCallSyntax.Kind.DSML, "<｜end▁of▁sentence｜>"));
        }
        return m;
    }

    private static Map<String, String> notRead() {
        Map<String, String> m = new TreeMap<>();
        m.put("Apertus-8B-Instruct", "<|tools_prefix|>[{name: arguments}]");
        m.put("Cohere2MoE", "<|START_ACTION|> with tool_name and parameters");
        m.put("CohereForAI-c4ai-command-r-plus-tool_use", "Action: ```json list");
        m.put("CohereForAI-c4ai-command-r7b-12-2024-tool_use", "<|START_ACTION|> with tool_name and parameters");
        m.put("GigaChat3-10B-A1.8B", "a 'function call' role");
        m.put("GigaChat3.1-10B-A1.8B", "<|function_call|>");
        m.put("Kimi-K3", "<|open|>call tool=... markup");
        m.put("google-gemma-4-31B-it", "<|tool_call>call:f{...}");
        m.put("google-gemma-4-31B-it-interleaved", "<|tool_call>call:f{...}");
        m.put("meetkai-functionary-medium-v3.1", "<function=f>{...}</function> without a block");
        m.put("meta-llama-Llama-3.1-8B-Instruct", "a bare JSON reply with parameters");
        m.put("meta-llama-Llama-3.2-3B-Instruct", "a bare JSON reply with parameters");
        m.put("meta-llama-Llama-3.3-70B-Instruct", "a bare JSON reply with parameters");
        m.put("muse-glimmer", "<atem:function_calls>");
        m.put("openbmb-MiniCPM5-1B", "<function name=...><param>");
        m.put("tencent-Hy3", "<tool_call:opensource>");
        m.put("upstage-Solar-Open-100B", "<|tool_call:begin|>");
        return m;
    }

    @TestFactory
    Stream<DynamicTest> everyReadTemplateHasItsCallReadBack() {
        Optional<Path> dir = ChatTestData.templatesDir();
        assumeTrue(dir.isPresent(), "shared chat-templates folder not found: real templates not tested");
        Conversation tools = ChatTestData.conversations().stream().filter(c -> c.name().equals("tools")).findFirst()
                .orElseThrow();
        ChatTestData.Settings settings = ChatTestData.settings();
        return ChatTestData.templates(dir.get()).stream().map(file -> {
            String stem = ChatTestData.stem(file);
            return DynamicTest.dynamicTest(stem, () -> {
                ChatTemplate template = ChatTestData.template(file, settings);
                ToolCallSyntax syntax = ToolCallSyntax.detect(template, null);
                Expected expected = READ.get(stem);
                if (expected == null && UNRENDERED.containsKey(stem)) {
                    return; // detectionOfTemplatesJinjaCannotRenderToolsWith
                }
                if (expected == null) {
                    assertThat(syntax).as(stem + ": writes " + NOT_READ.getOrDefault(stem, "no tool calls")).isNull();
                    return;
                }
                assertThat(syntax).as(stem).isNotNull();
                assertThat(syntax.kind()).as(stem).isEqualTo(expected.kind());
                if (syntax.kind() != ToolCallSyntax.Kind.HARMONY) {
                    assertReadsBack(stem, syntax, reply(template, tools, stem, expected.endOfReply()), tools.tools());
                }
            });
        });
    }

    @Test
    void detectionOfTemplatesJinjaCannotRenderToolsWith() {
        Optional<Path> dir = ChatTestData.templatesDir();
        assumeTrue(dir.isPresent(), "shared chat-templates folder not found");
        Conversation tools = ChatTestData.conversations().stream().filter(c -> c.name().equals("tools")).findFirst()
                .orElseThrow();
        ChatTestData.Settings settings = ChatTestData.settings();
        UNRENDERED.forEach((stem, expected) -> {
            assertThat(ChatTestData.resourceDir().resolve("expected").resolve(stem).resolve("tools.error"))
                    .as(stem + " has no jinja2 rendering of tools").exists();
            ChatTemplate template = ChatTestData.template(dir.get().resolve(stem + ".jinja"), settings);
            ToolCallSyntax syntax = ToolCallSyntax.detect(template, null);
            assertThat(syntax).as(stem).isNotNull();
            assertThat(syntax.kind()).as(stem).isEqualTo(expected.kind());
            // the call as this engine writes it back, from its block's opener to the end of its turn
            String rendered = tools.render(template);
            rendered = rendered.substring(rendered.indexOf("What's the weather in Paris?"));
            String reply = rendered.substring(rendered.indexOf(syntax.markers().getFirst()));
            assertReadsBack(stem, syntax, reply.substring(0, reply.indexOf(expected.endOfReply())), tools.tools());
        });
    }

    @Test
    void everyListedTemplateExists() {
        Optional<Path> dir = ChatTestData.templatesDir();
        assumeTrue(dir.isPresent(), "shared chat-templates folder not found");
        List<String> stems = ChatTestData.templates(dir.get()).stream().map(ChatTestData::stem).toList();
        assertThat(stems).containsAll(READ.keySet()).containsAll(NOT_READ.keySet()).containsAll(UNRENDERED.keySet());
    }

    /**
     * The assistant's tool-call turn of jinja2's rendering: what follows the prompt that asks for it
     * (the conversation up to the user's question, with the generation prompt), up to its end of turn.
     * A thinking block the template writes in front (closed empty) is dropped, as the reasoning
     * splitter drops it before tool calls are looked for. MiniMax-M3's {@code </mm:think>} is dropped
     * too, though no reasoning syntax knows it yet: its calls are read, its thinking is content.
     */
    private static String reply(ChatTemplate template, Conversation tools, String stem, String endOfReply)
            throws IOException {
        String rendered = Files.readString(ChatTestData.resourceDir().resolve("expected").resolve(stem)
                .resolve("tools.txt"));
        String prompt = template.render(tools.messages().subList(0, 2), true, tools.tools(), tools.kwargs());
        // Templates place tool definitions differently for different conversations, so the two texts
        // are compared from the user's question on: what the prompt adds after it is the generation prompt.
        String question = "What's the weather in Paris?";
        String generationPrompt = prompt.substring(prompt.lastIndexOf(question) + question.length());
        rendered = rendered.substring(rendered.indexOf(question) + question.length());
        int common = 0;
        while (common < generationPrompt.length() && common < rendered.length()
                && generationPrompt.charAt(common) == rendered.charAt(common)) {
            common++;
        }
        if (common < generationPrompt.length()) {
            // They part inside the generation prompt (it opens a thinking block the history closes):
            // the reply starts after the last whole piece of markup they share.
            while (common > 0 && "\n>]".indexOf(rendered.charAt(common - 1)) < 0) {
                common--;
            }
        }
        String reply = rendered.substring(common);
        int end = reply.indexOf(endOfReply);
        assertThat(end).as(stem + ": the reply's end " + endOfReply + " in " + reply).isPositive();
        reply = reply.substring(0, end);
        for (String closeThinking : List.of("</think>", "</mm:think>")) {
            int think = reply.lastIndexOf(closeThinking);
            reply = think < 0 ? reply : reply.substring(think + closeThinking.length());
        }
        return reply;
    }

    private static void assertReadsBack(String stem, ToolCallSyntax syntax, String reply,
                                        List<Map<String, Object>> tools) {
        ExtractedReply read = ExtractedReply.howeverCut(syntax, ToolSchemas.of(tools), reply);
        assertThat(read.calls()).as(stem + " read from " + reply).hasSize(1);
        assertThat(read.calls().getFirst().name()).isEqualTo("get_weather");
        assertThat(ToolArguments.parse(read.calls().getFirst().arguments()))
                .isEqualTo(ToolArguments.parse("{\"city\": \"Paris\", \"unit\": \"celsius\"}"));
        assertThat(read.content()).as(stem + " content from " + reply).isBlank();
    }

    /**
     * A reply made to call a tool is spelled with the frame each template's own rendering gives,
     * and reads back as that call: for every read syntax whose arguments are JSON; the XML-style
     * ones and LFM2's Python calls, whose arguments are not, have no frame (forcing a call there is
     * refused).
     */
    @TestFactory
    Stream<DynamicTest> forcedCallsReadBackAsTheCallTheyForce() {
        Optional<Path> dir = ChatTestData.templatesDir();
        assumeTrue(dir.isPresent(), "shared chat-templates folder not found: real templates not tested");
        ChatTestData.Settings settings = ChatTestData.settings();
        Set<ToolCallSyntax.Kind> xml = Set.of(ToolCallSyntax.Kind.XML_FUNCTION, ToolCallSyntax.Kind.GLM,
                ToolCallSyntax.Kind.MINIMAX, ToolCallSyntax.Kind.MINIMAX_M3, ToolCallSyntax.Kind.DSML,
                ToolCallSyntax.Kind.PYTHON_CALLS);
        return READ.keySet().stream().map(stem -> DynamicTest.dynamicTest(stem, () -> {
            ChatTemplate template = ChatTestData.template(dir.get().resolve(stem + ".jinja"), settings);
            ToolCallSyntax syntax = ToolCallSyntax.detect(template, null);
            ForcedCallFrame frame = syntax.forcedCall();
            if (xml.contains(syntax.kind())) {
                assertThat(frame).as(stem).isNull();
                return;
            }
            assertThat(frame).as(stem).isNotNull();
            String arguments = "{\"city\": \"Paris\", \"unit\": \"celsius\"}";
            String reply = frame.beforeName() + "get_weather" + frame.beforeArguments() + arguments
                    + frame.afterArguments();
            List<ToolCall> calls;
            if (syntax.kind() == ToolCallSyntax.Kind.HARMONY) {
                ReasoningSplitter harmony = ReasoningSplitter.harmony("<|start|>assistant", true);
                harmony.finish(reply);
                assertThat(harmony.content() + harmony.reasoning()).as(stem + ": " + reply).isBlank();
                calls = harmony.calls();
            } else {
                ExtractedReply read = ExtractedReply.of(syntax, ToolSchemas.NONE, List.of(reply));
                assertThat(read.content()).as(stem + ": " + reply).isBlank();
                calls = read.calls();
            }
            assertThat(calls).as(stem + ": " + reply).hasSize(1);
            assertThat(calls.getFirst().name()).isEqualTo("get_weather");
            assertThat(ToolArguments.parse(calls.getFirst().arguments())).isEqualTo(ToolArguments.parse(arguments));
            assertThat(reply).as("a fresh id each time").doesNotContain(ForcedCallFrame.PROBE_ID);
        }));
    }
}
