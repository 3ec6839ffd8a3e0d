package dev.switchyard.loadtest.target;

import java.util.Locale;

/**
 * Which OpenAI streaming endpoint a load test drives. The CLI parses {@code --api
 * completions|chat|responses} case-insensitively into these constants.
 */
public enum ApiKind {
    /** {@code POST /v1/completions}: a plain prompt, generated text in {@code choices[0].text}. */
    COMPLETIONS("/v1/completions"),
    /** {@code POST /v1/chat/completions}: one user message, generated text in {@code choices[0].delta.content}. */
    CHAT("/v1/chat/completions"),
    /**
     * {@code POST /v1/responses}: the prompt as {@code input}, generated text in its
     * {@code response.output_text.delta} events, counts in the final response's usage.
     */
    RESPONSES("/v1/responses");

    private final String path;

    ApiKind(String path) {
        this.path = path;
    }

    /** The endpoint's path below the server's base URL. */
    public String path() {
        return path;
    }

    /** The name the command line and the result file use: {@code completions}, {@code chat} or {@code responses}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
