package dev.switchyard.loadtest.target;

import java.util.function.Consumer;

/**
 * Turns the lines of a {@code text/event-stream} body into event payloads, as the SSE specification
 * reads them: {@code data:} lines (one optional space after the colon) accumulate, joined by newlines,
 * and a blank line dispatches them; comments ({@code :...}) and other fields ({@code event}, {@code id},
 * {@code retry}) are skipped, since OpenAI streams carry everything in {@code data}.
 *
 * <p>Feeding stops being needed once the consumer has seen {@code [DONE]}; this class does not interpret
 * payloads. Not thread-safe: one instance per stream, fed in order.
 */
final class SseLineDecoder {

    private final Consumer<String> onData;
    private final StringBuilder data = new StringBuilder();
    private boolean pending;

    SseLineDecoder(Consumer<String> onData) {
        this.onData = onData;
    }

    /** One line of the body, without its line ending. */
    void line(String line) {
        if (line.isEmpty()) {
            dispatch();
            return;
        }
        if (line.charAt(0) == ':') {
            return;
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        if (!field.equals("data")) {
            return;
        }
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        if (pending) {
            data.append('\n');
        }
        data.append(value);
        pending = true;
    }

    /**
     * The body ended. The specification drops an event not closed by a blank line; a server that ends
     * with {@code data: [DONE]} and no blank line still meant it, so the pending payload is delivered.
     */
    void finish() {
        dispatch();
    }

    private void dispatch() {
        if (!pending) {
            return;
        }
        String payload = data.toString();
        data.setLength(0);
        pending = false;
        onData.accept(payload);
    }
}
