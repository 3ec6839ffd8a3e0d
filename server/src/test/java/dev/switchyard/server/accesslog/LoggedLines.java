package dev.switchyard.server.accesslog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/** Reads an access log written to a {@link StringWriter} ({@link AccessLog#to}) back, line by request id. */
public final class LoggedLines {

    private static final ObjectMapper JSON = new ObjectMapper();

    private LoggedLines() {
    }

    /** The line of the request {@code id}, once the log's writer has written it (waiting up to 5 s). */
    public static JsonNode lineOf(StringWriter lines, String id) throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            for (String line : lines.toString().split("\\R")) {
                if (line.contains("\"request_id\":\"" + id + "\"")) {
                    try {
                        return JSON.readTree(line);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no line for " + id + " in:\n" + lines);
    }
}
