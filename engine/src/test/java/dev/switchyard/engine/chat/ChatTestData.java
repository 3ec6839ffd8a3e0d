package dev.switchyard.engine.chat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The chat template test data: conversations and render settings under {@code chat/} on the test
 * class path, expected outputs under {@code chat/expected/<template>/<conversation>.txt|.error}
 * (written by {@code render_expected.py}), and the real templates in the shared folder.
 */
public final class ChatTestData {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ChatTestData() {}

    /** A conversation file: what the client sends. */
    public record Conversation(String name, List<ChatMessage> messages, boolean addGenerationPrompt,
                        List<Map<String, Object>> tools, Map<String, Object> kwargs) {

        public String render(ChatTemplate template) {
            return template.render(messages, addGenerationPrompt, tools, kwargs);
        }
    }

    /** The render settings both engines use: BOS/EOS texts and the pinned time. */
    public record Settings(String bosToken, String eosToken, Clock clock) {}

    public static Path resourceDir() {
        URL url = ChatTestData.class.getResource("/chat/render-settings.json");
        if (url == null) {
            throw new IllegalStateException("chat test resources are not on the class path");
        }
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The shared folder's chat-templates directory, when present. */
    public static Optional<Path> templatesDir() {
        return dev.switchyard.engine.SharedFolder.subfolder("chat-templates");
    }

    public static List<Path> templates(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".jinja")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String stem(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot < 0 ? name : name.substring(0, dot);
    }

    public static Settings settings() {
        Map<String, Object> s = readJson(resourceDir().resolve("render-settings.json"));
        LocalDateTime now = LocalDateTime.parse((String) s.get("now"));
        return new Settings((String) s.get("bos_token"), (String) s.get("eos_token"),
                Clock.fixed(now.toInstant(ZoneOffset.UTC), ZoneOffset.UTC));
    }

    public static ChatTemplate template(Path file, Settings settings) {
        try {
            return ChatTemplate.of(stem(file), file.toString(), Files.readString(file), settings.bosToken(),
                    settings.eosToken()).withClock(settings.clock());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<Conversation> conversations() {
        try (Stream<Path> files = Files.list(resourceDir().resolve("conversations"))) {
            return files.filter(p -> p.toString().endsWith(".json")).sorted().map(ChatTestData::conversation).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    public static Conversation conversation(Path file) {
        Map<String, Object> c = readJson(file);
        List<ChatMessage> messages = new ArrayList<>();
        for (Map<String, Object> m : (List<Map<String, Object>>) c.get("messages")) {
            messages.add(new ChatMessage((String) m.get("role"), (String) m.get("content"), (String) m.get("name"),
                    (List<Map<String, Object>>) m.get("tool_calls"), (String) m.get("tool_call_id")));
        }
        return new Conversation(stem(file), messages, Boolean.TRUE.equals(c.get("add_generation_prompt")),
                (List<Map<String, Object>>) c.get("tools"), (Map<String, Object>) c.getOrDefault("kwargs", Map.of()));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readJson(Path file) {
        try {
            return JSON.readValue(file.toFile(), Map.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
