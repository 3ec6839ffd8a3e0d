package dev.switchyard.engine.chat;

import dev.switchyard.engine.gguf.GgufMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Finds a model's chat template in its GGUF metadata. The default template is
 * {@code tokenizer.chat_template}; some files also carry named ones,
 * {@code tokenizer.chat_template.<name>} (typically {@code tool_use}, {@code rag}). A file with no
 * template gets ChatML, which the server should log through {@link ChatTemplate#describe()}:
 * a model not trained on ChatML will answer poorly with it.
 */
public final class ChatTemplates {

    public static final String TEMPLATE_KEY = "tokenizer.chat_template";
    public static final String DEFAULT_NAME = "default";
    public static final String TOOL_USE_NAME = "tool_use";

    /**
     * ChatML: {@code <|im_start|>role\ncontent<|im_end|>\n} per message, and
     * {@code <|im_start|>assistant\n} as the generation prompt.
     */
    public static final String CHATML = "{% for message in messages %}"
            + "{{ '<|im_start|>' + message.role + '\\n' }}{{ message.content }}{{ '<|im_end|>\\n' }}"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private ChatTemplates() {}

    /** The built-in ChatML template; {@code reason} says why it is used, for the log. */
    public static ChatTemplate chatMl(String reason) {
        return ChatTemplate.of("chatml", "built-in ChatML: " + reason, CHATML, null, null);
    }

    /** The file's default template, or ChatML when it has none. */
    public static ChatTemplate fromMetadata(GgufMetadata metadata) {
        return fromMetadata(metadata, null);
    }

    /**
     * The file's template named {@code name} ({@code null} or {@value #DEFAULT_NAME} for the
     * default one), with the file's BOS and EOS token texts; ChatML when the file has no default
     * template.
     *
     * @throws IllegalArgumentException when a named template is asked for and the file lacks it
     */
    public static ChatTemplate fromMetadata(GgufMetadata metadata, String name) {
        String bos = tokenText(metadata, "tokenizer.ggml.bos_token_id");
        String eos = tokenText(metadata, "tokenizer.ggml.eos_token_id");
        if (name == null || name.equals(DEFAULT_NAME)) {
            return metadata.optString(TEMPLATE_KEY)
                    .map(text -> ChatTemplate.of(DEFAULT_NAME, "GGUF " + TEMPLATE_KEY, text, bos, eos))
                    .orElseGet(() -> ChatTemplate.of("chatml",
                            "built-in ChatML: the GGUF file has no " + TEMPLATE_KEY, CHATML, bos, eos));
        }
        String key = TEMPLATE_KEY + "." + name;
        String text = metadata.optString(key).orElseThrow(() -> new IllegalArgumentException(
                "the GGUF file has no chat template '" + name + "'; it has " + namedTemplates(metadata)));
        return ChatTemplate.of(name, "GGUF " + key, text, bos, eos);
    }

    /**
     * The template for a request, as Hugging Face picks it: the file's {@value #TOOL_USE_NAME}
     * template when the request has tools and the file has one, else the default.
     */
    public static ChatTemplate forRequest(GgufMetadata metadata, boolean hasTools) {
        boolean toolUse = hasTools && metadata.contains(TEMPLATE_KEY + "." + TOOL_USE_NAME);
        return fromMetadata(metadata, toolUse ? TOOL_USE_NAME : null);
    }

    /** Names of the templates the file carries: {@value #DEFAULT_NAME} first if present, then the named ones. */
    public static List<String> namedTemplates(GgufMetadata metadata) {
        List<String> names = new ArrayList<>();
        if (metadata.contains(TEMPLATE_KEY)) {
            names.add(DEFAULT_NAME);
        }
        String prefix = TEMPLATE_KEY + ".";
        for (String key : metadata.keys()) {
            if (key.startsWith(prefix) && key.length() > prefix.length()) {
                names.add(key.substring(prefix.length()));
            }
        }
        return names;
    }

    /** The text of the token whose id is under {@code idKey}, or null when the file does not say. */
    private static String tokenText(GgufMetadata metadata, String idKey) {
        OptionalLong id = metadata.optLong(idKey);
        if (id.isEmpty() || !metadata.contains("tokenizer.ggml.tokens")) {
            return null;
        }
        String[] tokens = metadata.requireStringArray("tokenizer.ggml.tokens");
        long i = id.getAsLong();
        return i >= 0 && i < tokens.length ? tokens[(int) i] : null;
    }
}
