package dev.switchyard.engine.chat;

import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A model's Jinja chat template: turns a conversation into the prompt text the model was trained
 * on, as Hugging Face's {@code apply_chat_template} would. Renders with jinjava, after
 * {@link TemplateRewriter} has turned the jinja2 constructs jinjava lacks into ones it has.
 *
 * <p>The template sees {@code messages} (see {@link ChatMessage#toTemplateMap()}),
 * {@code add_generation_prompt}, {@code tools} (None without tools), {@code documents} (None),
 * {@code bos_token}, {@code eos_token}, and any extra arguments ({@code enable_thinking}, ...).
 * Immutable and safe to share between threads.
 *
 * <p>Where jinja2 renders, the output is jinja2's (see the conformance tests for the gaps left).
 * Where jinja2 fails for want of a value, this is more lenient: jinjava has one null for None and
 * undefined, so iterating None, adding it to a string or printing it gives nothing rather than a
 * TypeError (or, printed, "None"). A template's {@code raise_exception} always fails the render.
 */
public final class ChatTemplate {

    private static final List<String> RESERVED = List.of("messages", "tools", "documents", "add_generation_prompt");

    private final String name;
    private final String source;
    private final String text;
    private final String prepared;
    private final String bosToken;
    private final String eosToken;
    private final Clock clock;

    private ChatTemplate(String name, String source, String text, String bosToken, String eosToken, Clock clock) {
        this.name = Objects.requireNonNull(name, "name");
        this.source = Objects.requireNonNull(source, "source");
        this.text = Objects.requireNonNull(text, "text");
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.prepared = prepare(text);
    }

    /**
     * @param name short name for logs ("default", "tool_use", "chatml")
     * @param source where the template came from, for logs
     * @param bosToken the model's BOS token text, or null for none
     * @param eosToken the model's EOS token text, or null for none
     */
    public static ChatTemplate of(String name, String source, String text, String bosToken, String eosToken) {
        return new ChatTemplate(name, source, text, bosToken, eosToken, Clock.systemDefaultZone());
    }

    /** The same template reading the time ({@code strftime_now}) from {@code clock}. */
    public ChatTemplate withClock(Clock clock) {
        return new ChatTemplate(name, source, text, bosToken, eosToken, clock);
    }

    private static String prepare(String text) {
        try {
            return TemplateRewriter.rewrite(text);
        } catch (ChatTemplateException e) {
            // Text our splitter cannot follow goes to jinjava as it is; its errors surface on render.
            return text;
        }
    }

    public String name() {
        return name;
    }

    public String source() {
        return source;
    }

    /** The template text as the model ships it. */
    public String text() {
        return text;
    }

    public String bosToken() {
        return bosToken;
    }

    public String eosToken() {
        return eosToken;
    }

    /** One line for the server log: which template, from where, how long. */
    public String describe() {
        return "chat template '" + name + "' (" + source + ", " + text.length() + " chars)";
    }

    /** Whether {@code name} is a template argument the renderer sets itself, which no caller may pass. */
    public static boolean isReservedArgument(String name) {
        return RESERVED.contains(name);
    }

    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, null, Map.of());
    }

    /**
     * @param tools tool definitions as JSON-like maps ({@code {"type": "function", "function":
     *     {...}}}), or null for none
     * @param kwargs extra template arguments; they may override bos_token/eos_token but not
     *     messages, tools, documents or add_generation_prompt
     * @throws ChatTemplateException when the template rejects the conversation or fails
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, List<Map<String, Object>> tools,
                         Map<String, Object> kwargs) {
        Objects.requireNonNull(messages, "messages");
        for (String key : kwargs == null ? List.<String>of() : kwargs.keySet()) {
            if (RESERVED.contains(key)) {
                throw new IllegalArgumentException("template argument '" + key + "' is reserved");
            }
        }
        List<Map<String, Object>> messageMaps = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            messageMaps.add(m.toTemplateMap());
        }
        TemplateFunctions.RenderState state = new TemplateFunctions.RenderState(ZonedDateTime.now(clock));
        Map<String, Object> bindings = new HashMap<>();
        bindings.put("bos_token", bosToken);
        bindings.put("eos_token", eosToken);
        if (kwargs != null) {
            bindings.putAll(kwargs);
        }
        bindings.put("messages", messageMaps);
        bindings.put("tools", tools == null ? null : new ArrayList<>(tools));
        bindings.put("documents", null);
        bindings.put("add_generation_prompt", addGenerationPrompt);
        bindings.put(TemplateFunctions.RenderState.KEY, state);
        // Templates test for the functions as variables ({% if strftime_now is defined %}).
        bindings.put("strftime_now", "<function strftime_now>");
        bindings.put("raise_exception", "<function raise_exception>");
        return TemplateEngine.render(prepared, bindings, state);
    }

    @Override
    public String toString() {
        return describe();
    }
}
