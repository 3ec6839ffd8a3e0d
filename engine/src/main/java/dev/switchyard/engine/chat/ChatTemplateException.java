package dev.switchyard.engine.chat;

/**
 * A conversation the chat template refuses, or a template that fails to render it. The message is
 * the template's own ({@code raise_exception("...")}) where it raised one, so the server can hand
 * it back to the client as a request error (HTTP 400).
 */
public class ChatTemplateException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ChatTemplateException(String message) {
        super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
