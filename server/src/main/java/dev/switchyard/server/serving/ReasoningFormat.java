package dev.switchyard.server.serving;

import java.util.Locale;

/**
 * Whether a chat reply's reasoning is returned apart from its answer ({@code reasoning_content}
 * beside {@code content}), as llama.cpp's {@code --reasoning-format} and its per-request
 * {@code reasoning_format} choose: the server's flag sets the default, a request may override it.
 */
public enum ReasoningFormat {
    /** Apart, where the model's chat format marks its reasoning (think tags, harmony channels). */
    AUTO,
    /** As generated: the reply is all content, exactly as without reasoning support. */
    NONE;

    /** The API's spelling: {@code auto} or {@code none}. */
    public String apiName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code auto} or {@code none}, any case; null for anything else. */
    public static ReasoningFormat parse(String name) {
        for (ReasoningFormat f : values()) {
            if (f.apiName().equalsIgnoreCase(name)) {
                return f;
            }
        }
        return null;
    }
}
