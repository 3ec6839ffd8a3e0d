package dev.switchyard.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a template sees of a message. */
class ChatMessageTest {

    @Test
    void absentFieldsAreLeftOutOfTheTemplatesView() {
        assertThat(ChatMessage.user("hi").toTemplateMap()).containsOnlyKeys("role", "content");
        assertThat(ChatMessage.assistantToolCalls(null, List.of()).toTemplateMap())
                .containsOnlyKeys("role", "tool_calls");
        assertThat(ChatMessage.toolResult("c1", "f", "r").toTemplateMap())
                .containsOnlyKeys("role", "content", "name", "tool_call_id");
        ChatMessage withReasoning = new ChatMessage("assistant", "4", null, null, null,
                Map.of("reasoning_content", "2 + 2 = 4", "role", "ignored"));
        assertThat(withReasoning.toTemplateMap()).containsEntry("reasoning_content", "2 + 2 = 4")
                .containsEntry("role", "assistant");
    }
}
