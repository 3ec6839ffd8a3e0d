package dev.switchyard.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** One template serves concurrent requests: renders on many threads equal the single-threaded one. */
class ChatTemplateConcurrencyTest {

    private static final String TEMPLATE = """
            {%- set ns = namespace(users=0) -%}
            {%- macro turn(m) -%}<{{ m.role }}>{{ m.content | trim }}</{{ m.role }}>{%- endmacro -%}
            {%- for m in messages if m.role != 'system' -%}
            {%- if m.role == 'user' %}{% set ns.users = ns.users + 1 %}{% endif -%}
            {{ turn(m) }}{% if loop.previtem %}~{% endif %}
            {%- endfor -%}
            {%- if messages[0].role == 'system' and not messages|length == 1 %}[{{ messages[0].content }}]{% endif -%}
            users={{ ns.users }}{{ '<gen>' if add_generation_prompt else '' }}""";

    @Test
    void concurrentRendersAgreeWithASequentialOne() throws Exception {
        ChatTemplate template = ChatTemplate.of("test", "inline", TEMPLATE, "<s>", "</s>");
        List<List<ChatMessage>> conversations = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            List<ChatMessage> c = new ArrayList<>();
            c.add(ChatMessage.system("sys " + i));
            for (int j = 0; j <= i; j++) {
                c.add(ChatMessage.user(" q" + j + " "));
                c.add(ChatMessage.assistant("a" + j));
            }
            conversations.add(c);
        }
        List<String> sequential = conversations.stream().map(c -> template.render(c, true)).toList();
        assertThat(sequential.get(1)).isEqualTo("<user>q0</user><assistant>a0</assistant>~<user>q1</user>~"
                + "<assistant>a1</assistant>~[sys 1]users=2<gen>");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int round = 0; round < 25; round++) {
                for (int i = 0; i < conversations.size(); i++) {
                    int k = i;
                    results.add(pool.submit(() -> template.render(conversations.get(k), true).equals(sequential.get(k))));
                }
            }
            for (Future<Boolean> r : results) {
                assertThat(r.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
