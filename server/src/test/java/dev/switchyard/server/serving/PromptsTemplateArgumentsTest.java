package dev.switchyard.server.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.switchyard.engine.chat.ChatMessage;
import dev.switchyard.engine.chat.ChatTemplate;
import dev.switchyard.engine.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Template arguments a request passes ({@code reasoning_effort}, {@code chat_template_kwargs}) reach
 * the model's own chat template: gpt-oss's states the effort in its system message.
 */
class PromptsTemplateArgumentsTest {

    private static final Path TEMPLATE = Path.of("../../shared/chat-templates/openai-gpt-oss-120b.jinja");

    @Test
    void reasoningEffortReachesGptOsssTemplate() throws Exception {
        assumeTrue(Files.isRegularFile(TEMPLATE), "gpt-oss's chat template is not at " + TEMPLATE.toAbsolutePath());
        Tokenizer harmony = ChoiceSinkReasoningTest.vocabulary(List.of("<|start|>", "<|end|>", "<|message|>",
                "<|channel|>", "<|constrain|>", "<|return|>", "<|call|>", "<|endoftext|>"));
        ChatTemplate template = ChatTemplate.of("gpt-oss", "test", Files.readString(TEMPLATE), null, null);
        Prompts prompts = new Prompts(harmony, template);
        List<ChatMessage> messages = List.of(ChatMessage.of("user", "Hi"));

        String byDefault = harmony.decode(prompts.chat(messages, "messages"), true);
        String high = harmony.decode(prompts.chat(messages, Map.of("reasoning_effort", "high"), "messages"), true);
        assertThat(byDefault).contains("Reasoning: medium");
        assertThat(high).contains("Reasoning: high").doesNotContain("Reasoning: medium");
        assertThat(high).endsWith("<|start|>assistant");
    }
}
