package dev.switchyard.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A conversation a template refuses, or a template that cannot render, is a ChatTemplateException. */
class ChatTemplateErrorsTest {

    private static ChatTemplate inline(String text) {
        return ChatTemplate.of("test", "inline", text, "<s>", "</s>");
    }

    private static ChatTemplate shared(String stem) {
        Path dir = ChatTestData.templatesDir().orElse(null);
        assumeTrue(dir != null, "shared chat-templates folder not found");
        Path file = dir.resolve(stem + ".jinja");
        assumeTrue(Files.exists(file), file + " not found");
        return ChatTestData.template(file, ChatTestData.settings());
    }

    @Test
    void raiseExceptionBecomesChatTemplateExceptionWithTheTemplatesMessage() {
        ChatTemplate t = inline("{% if messages[0].role != 'user' %}{{ raise_exception('Conversations must start "
                + "with a user message') }}{% endif %}ok");
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.assistant("hi")), true))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessage("Conversations must start with a user message");
        assertThat(t.render(List.of(ChatMessage.user("hi")), true)).isEqualTo("ok");
    }

    @Test
    void raiseExceptionInsideALoopOrMacroStillFailsTheRender() {
        ChatTemplate loop = inline("{% for m in messages %}{% if m.role == 'tool' %}"
                + "{{ raise_exception('no tools: ' ~ m.role ~ ' at ' ~ loop.index0) }}{% endif %}{% endfor %}");
        assertThatThrownBy(() -> loop.render(List.of(ChatMessage.user("a"), ChatMessage.toolResult("1", "f", "r")),
                false)).isInstanceOf(ChatTemplateException.class).hasMessage("no tools: tool at 1");
        ChatTemplate macro = inline("{% macro check(m) %}{% if not m.content %}{{ raise_exception('empty') }}"
                + "{% endif %}{% endmacro %}{% for m in messages %}{{ check(m) }}{% endfor %}");
        assertThatThrownBy(() -> macro.render(List.of(ChatMessage.user("")), false))
                .isInstanceOf(ChatTemplateException.class).hasMessage("empty");
    }

    @Test
    void gemma2RejectsASystemMessage() {
        ChatTemplate gemma = shared("google-gemma-2-2b-it");
        assertThatThrownBy(() -> gemma.render(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi")), true))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessage("System role not supported");
    }

    @Test
    void mistralRejectsASystemMessageAfterTheFirstTurn() {
        ChatTemplate mistral = shared("Mistral-Small-3.2-24B-Instruct-2506");
        List<ChatMessage> conversation = List.of(ChatMessage.user("Hello."), ChatMessage.assistant("Hi!"),
                ChatMessage.system("Answer in French."), ChatMessage.user("How are you?"));
        assertThatThrownBy(() -> mistral.render(conversation, true))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessage("After the optional system message, conversation roles must alternate "
                        + "user/assistant/user/assistant/...");
    }

    @Test
    void gemma2RejectsTwoUserTurnsInARow() {
        ChatTemplate gemma = shared("google-gemma-2-2b-it");
        assertThatThrownBy(() -> gemma.render(List.of(ChatMessage.user("a"), ChatMessage.user("b")), true))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessage("Conversation roles must alternate user/assistant/user/assistant/...");
    }

    @Test
    void aTemplateThatDoesNotParseFailsEachRender() {
        ChatTemplate t = inline("{% for m in messages %}{{ m.content }}");
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.user("hi")), true))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessageContaining("chat template failed");
    }

    @Test
    void anUnknownFunctionFailsTheRender() {
        ChatTemplate t = inline("{{ no_such_function(messages) }}");
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.user("hi")), true))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessageContaining("no_such_function");
    }

    @Test
    void templateSyntaxInsideMessagesIsPrintedNotRun() {
        String content = "{{ raise_exception('x') }} {% for i in range(3) %}{{ i }}{% endfor %} {# c #}";
        String out = ChatTemplates.chatMl("test").render(List.of(ChatMessage.user(content)), false);
        assertThat(out).isEqualTo("<|im_start|>user\n" + content + "<|im_end|>\n");
    }

    @Test
    void reservedTemplateArgumentsCannotBeOverridden() {
        ChatTemplate t = inline("{{ messages|length }}");
        assertThatThrownBy(() -> t.render(List.of(), false, null, Map.of("messages", List.of())))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(t.render(List.of(ChatMessage.user("a")), false, null, Map.of("bos_token", "<bos>")))
                .isEqualTo("1");
    }
}
