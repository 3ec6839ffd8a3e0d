package dev.switchyard.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.switchyard.engine.chat.ChatTestData.Conversation;
import dev.switchyard.engine.chat.ChatTestData.Settings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every real template of the shared folder renders every conversation of
 * {@code chat/conversations} exactly as Python's jinja2 does under Hugging Face's settings (the
 * stored outputs of {@code render_expected.py}), or raises where jinja2 raised: with the
 * template's own message for {@code raise_exception}. Pairs we cannot match are listed in
 * {@link #KNOWN_GAPS} with the reason; a listed pair that starts matching fails, so the list stays
 * true.
 */
class RealTemplateConformanceTest {

    /** template/conversation -> why our output differs from jinja2's. */
    static final Map<String, String> KNOWN_GAPS = knownGaps();

    private static Map<String, String> knownGaps() {
        Map<String, String> gaps = new java.util.TreeMap<>();
        String noneTools = "a tool_use-only template without tools: jinja2 raises TypeError iterating tools=None; "
                + "jinjava has one null for None and undefined and iterates it as empty, so we render";
        for (String template : List.of("CohereForAI-c4ai-command-r-plus-tool_use",
                "NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use", "NousResearch-Hermes-3-Llama-3.1-8B-tool_use")) {
            for (String conversation : List.of("assistant_prefill", "multi_turn", "no_thinking", "system_in_middle",
                    "system_user")) {
                gaps.put(template + "/" + conversation, noneTools);
            }
        }
        for (String conversation : List.of("assistant_prefill", "multi_turn", "no_thinking", "system_in_middle",
                "system_user", "tools")) {
            gaps.put("fireworks-ai-llama-3-firefunction-v2/" + conversation, "the template needs its own "
                    + "'functions' argument: jinja2 raises UndefinedError adding the undefined value to a string; "
                    + "jinjava adds nothing, so we render");
        }
        String append = "Hugging Face's immutable sandbox refuses list.append (SecurityError); jinjava allows it, "
                + "so we render the tool prompt";
        gaps.put("Kimi-K2-Instruct/tools", append);
        gaps.put("Kimi-K2-Thinking/tools", append);
        gaps.put("llama-cpp-deepseek-r1/tools", "jinja2's map filter yields a generator that tojson (json.dumps) "
                + "rejects; jinjava's yields a list, so we render");
        gaps.put("meetkai-functionary-medium-v3.2/tools", "the template adds the arguments dict to a string: "
                + "TypeError in Python, string coercion in jinjava, so we render");
        gaps.put("meetkai-functionary-medium-v3.1/tools", "'...'|safe + text: jinja2's Markup HTML-escapes the "
                + "tool JSON it is added to (&#34;); jinjava has no Markup arithmetic, so our JSON is unescaped");
        return gaps;
    }

    private static final AtomicInteger PAIRS = new AtomicInteger();
    private static final AtomicInteger MATCHED = new AtomicInteger();
    private static final AtomicInteger GAPS = new AtomicInteger();

    @TestFactory
    Stream<DynamicNode> everyTemplateRendersEveryConversationAsJinja2Does() {
        Optional<Path> dir = ChatTestData.templatesDir();
        assumeTrue(dir.isPresent(), "shared chat-templates folder not found (switchyard.shared.dir, ../shared, "
                + "../../shared): real templates not tested");
        Settings settings = ChatTestData.settings();
        List<Conversation> conversations = ChatTestData.conversations();
        Path expected = ChatTestData.resourceDir().resolve("expected");
        return ChatTestData.templates(dir.get()).stream().map(file -> {
            String stem = ChatTestData.stem(file);
            ChatTemplate template = ChatTestData.template(file, settings);
            List<DynamicTest> tests = new ArrayList<>();
            for (Conversation c : conversations) {
                tests.add(DynamicTest.dynamicTest(c.name(),
                        () -> check(template, c, expected.resolve(stem), stem + "/" + c.name())));
            }
            return DynamicContainer.dynamicContainer(stem, tests);
        });
    }

    private static void check(ChatTemplate template, Conversation c, Path expectedDir, String pair) throws IOException {
        Path text = expectedDir.resolve(c.name() + ".txt");
        Path error = expectedDir.resolve(c.name() + ".error");
        assumeTrue(Files.exists(text) || Files.exists(error),
                "no stored jinja2 output for " + pair + ": run render_expected.py");
        PAIRS.incrementAndGet();
        String gap = KNOWN_GAPS.get(pair);
        boolean matches = Files.exists(text) ? rendersAs(template, c, Files.readString(text))
                : raisesAs(template, c, Files.readAllLines(error));
        if (gap != null) {
            GAPS.incrementAndGet();
            if (matches) {
                fail(pair + " now matches jinja2: remove it from KNOWN_GAPS");
            }
            return;
        }
        if (matches) {
            MATCHED.incrementAndGet();
            return;
        }
        // Not a known gap: show the difference.
        if (Files.exists(text)) {
            assertThat(c.render(template)).as(pair).isEqualTo(Files.readString(text));
        } else {
            List<String> lines = Files.readAllLines(error);
            var thrown = assertThatThrownBy(() -> c.render(template)).as(pair + " should raise " + lines)
                    .isInstanceOf(ChatTemplateException.class);
            if (lines.getFirst().equals("raise_exception")) {
                thrown.hasMessage(lines.get(1));
            }
        }
    }

    private static boolean rendersAs(ChatTemplate template, Conversation c, String expected) {
        try {
            return c.render(template).equals(expected);
        } catch (ChatTemplateException e) {
            return false;
        }
    }

    /** jinja2 raised: we must too, with the template's message when it called raise_exception. */
    private static boolean raisesAs(ChatTemplate template, Conversation c, List<String> error) {
        try {
            c.render(template);
            return false;
        } catch (ChatTemplateException e) {
            return !error.getFirst().equals("raise_exception") || error.get(1).equals(e.getMessage());
        }
    }

    @AfterAll
    static void reportPassRate() {
        if (PAIRS.get() > 0) {
            System.out.printf("chat templates vs jinja2: %d/%d template x conversation pairs match, %d known gaps%n",
                    MATCHED.get(), PAIRS.get(), GAPS.get());
        }
    }
}
