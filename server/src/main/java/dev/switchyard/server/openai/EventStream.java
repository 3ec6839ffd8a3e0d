package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;

/** Where a streamed response's server-sent events go, in order. */
public interface EventStream {

    /** Writes one event's JSON. */
    @FunctionalInterface
    interface JsonBody {
        void write(JsonGenerator g) throws IOException;
    }

    /** One event: an {@code event: name} line (none where null), then {@code data:} the JSON {@code body} writes. */
    void send(String name, JsonBody body);

    /** The end of a completions or chat stream: {@code data: [DONE]}. */
    void sendDone();
}
