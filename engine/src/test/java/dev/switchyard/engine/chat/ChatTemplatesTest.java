package dev.switchyard.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.engine.gguf.GgufArray;
import dev.switchyard.engine.gguf.GgufMetadata;
import dev.switchyard.engine.gguf.GgufValue;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which template a GGUF file gives, and the ChatML fallback. */
class ChatTemplatesTest {

    private static final List<ChatMessage> SYSTEM_USER = List.of(ChatMessage.system("You are concise."),
            ChatMessage.user("What is 2 + 2?"));

    private static GgufMetadata metadata(Map<String, String> templates) {
        Map<String, GgufValue> values = new LinkedHashMap<>();
        values.put("general.architecture", GgufValue.ofString("llama"));
        templates.forEach((k, v) -> values.put(k, GgufValue.ofString(v)));
        values.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings("<unk>", "<|begin|>", "<|end|>")));
        values.put("tokenizer.ggml.bos_token_id", GgufValue.ofUint32(1));
        values.put("tokenizer.ggml.eos_token_id", GgufValue.ofUint32(2));
        return new GgufMetadata(values);
    }

    @Test
    void aFileWithoutATemplateGetsChatMl() {
        ChatTemplate t = ChatTemplates.fromMetadata(metadata(Map.of()));
        assertThat(t.name()).isEqualTo("chatml");
        assertThat(t.source()).contains("no tokenizer.chat_template");
        assertThat(t.describe()).contains("chatml").contains("built-in ChatML");
        assertThat(t.render(SYSTEM_USER, true)).isEqualTo("""
                <|im_start|>system
                You are concise.<|im_end|>
                <|im_start|>user
                What is 2 + 2?<|im_end|>
                <|im_start|>assistant
                """);
    }

    @Test
    void chatMlRendersMultiTurnAndPrefillExactly() {
        ChatTemplate t = ChatTemplates.chatMl("test");
        List<ChatMessage> prefill = List.of(ChatMessage.user("Hi"), ChatMessage.assistant("Hello"),
                ChatMessage.user("Count to 3."), ChatMessage.assistant("1, 2,"));
        assertThat(t.render(prefill, false)).isEqualTo("<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\nHello<|im_end|>\n"
                + "<|im_start|>user\nCount to 3.<|im_end|>\n"
                + "<|im_start|>assistant\n1, 2,<|im_end|>\n");
        assertThat(t.render(List.of(ChatMessage.user("Hi")), true))
                .isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    }

    @Test
    void theFilesTemplateIsUsedWithItsBosAndEosTokens() {
        String text = "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}{{ eos_token }}{% endfor %}";
        ChatTemplate t = ChatTemplates.fromMetadata(metadata(Map.of("tokenizer.chat_template", text)));
        assertThat(t.name()).isEqualTo("default");
        assertThat(t.source()).isEqualTo("GGUF tokenizer.chat_template");
        assertThat(t.text()).isEqualTo(text);
        assertThat(t.bosToken()).isEqualTo("<|begin|>");
        assertThat(t.render(SYSTEM_USER, true))
                .isEqualTo("<|begin|>[system] You are concise.<|end|>[user] What is 2 + 2?<|end|>");
    }

    @Test
    void namedTemplatesAreListedAndSelectable() {
        GgufMetadata md = metadata(Map.of("tokenizer.chat_template", "default:{{ messages|length }}",
                "tokenizer.chat_template.tool_use", "tools:{{ tools|length }}"));
        assertThat(ChatTemplates.namedTemplates(md)).containsExactly("default", "tool_use");
        ChatTemplate toolUse = ChatTemplates.fromMetadata(md, "tool_use");
        assertThat(toolUse.name()).isEqualTo("tool_use");
        assertThat(toolUse.source()).isEqualTo("GGUF tokenizer.chat_template.tool_use");
        assertThatThrownBy(() -> ChatTemplates.fromMetadata(md, "rag"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rag").hasMessageContaining("tool_use");
    }

    @Test
    void aRequestWithToolsGetsTheToolUseTemplateWhenThereIsOne() {
        GgufMetadata both = metadata(Map.of("tokenizer.chat_template", "d",
                "tokenizer.chat_template.tool_use", "t"));
        assertThat(ChatTemplates.forRequest(both, true).name()).isEqualTo("tool_use");
        assertThat(ChatTemplates.forRequest(both, false).name()).isEqualTo("default");
        GgufMetadata defaultOnly = metadata(Map.of("tokenizer.chat_template", "d"));
        assertThat(ChatTemplates.forRequest(defaultOnly, true).name()).isEqualTo("default");
        assertThat(ChatTemplates.forRequest(metadata(Map.of()), true).name()).isEqualTo("chatml");
    }
}
