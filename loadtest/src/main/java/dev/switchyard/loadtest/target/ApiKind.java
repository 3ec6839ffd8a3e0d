package dev.switchyard.loadtest.target;

import java.util.Locale;

/**
 * Which streaming endpoint a load test drives: OpenAI's three, or Anthropic's Messages API. The CLI
 * parses {@code --api completions|chat|responses|messages} case-insensitively into these constants.
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
    RESPONSES("/v1/responses"),
    /**
     * {@code POST /v1/messages} (Anthropic's Messages API): one user message, generated text in its
     * {@code text_delta} events, counts in {@code message_delta}'s usage, the end at {@code message_stop}.
     */
    MESSAGES("/v1/messages");

    private final String path;

    ApiKind(String path) {
        this.path = path;
    }

    /** The endpoint's path below the server's base URL. */
    public String path() {
        return path;
    }

    /** The name the command line and the result file use: {@code completions}, {@code chat}, {@code responses} or {@code messages}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
