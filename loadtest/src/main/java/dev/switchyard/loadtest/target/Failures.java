package dev.switchyard.loadtest.target;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Status;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Names failures with RESULTS.md's kinds and keeps their details short enough for a report. */
final class Failures {

    private static final int EXCERPT_CHARS = 200;
    private static final ObjectMapper JSON = new ObjectMapper();

    private Failures() {
    }

    /**
     * {@code connect} when no connection could be made, {@code timeout} for the HTTP client's own
     * timeouts, {@code io} for anything else that broke the exchange (a reset, an early EOF).
     */
    static String kind(Throwable t) {
        for (Throwable c = unwrap(t); c != null; c = c.getCause()) {
            if (c instanceof ConnectException || c instanceof HttpConnectTimeoutException
                    || c instanceof UnknownHostException || c instanceof UnresolvedAddressException) {
                return "connect";
            }
        }
        for (Throwable c = unwrap(t); c != null; c = c.getCause()) {
            if (c instanceof HttpTimeoutException) {
                return "timeout";
            }
        }
        return "io";
    }

    /**
     * A failed gRPC call: {@code connect} when no connection could be made (gRPC reports that as
     * UNAVAILABLE, caused by a refused or unresolved connection), else {@code grpc_} and the status code
     * in lower case, e.g. {@code grpc_resource_exhausted} for a full queue, {@code grpc_unavailable} for a
     * server loading or draining.
     */
    static String grpcKind(Throwable t) {
        Status status = Status.fromThrowable(t);
        if (status.getCode() == Status.Code.UNAVAILABLE && kind(t).equals("connect")) {
            return "connect";
        }
        return "grpc_" + status.getCode().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The first message along the cause chain, else the exception's class name. */
    static String detail(Throwable t) {
        Throwable top = unwrap(t);
        for (Throwable c = top; c != null; c = c.getCause()) {
            if (c.getMessage() != null && !c.getMessage().isBlank()) {
                return excerpt(c.getMessage());
            }
        }
        return top.getClass().getSimpleName();
    }

    /** An HTTP error body for a report: its JSON error message when it has one, else its first characters. */
    static String httpBody(String body) {
        if (body == null || body.isBlank()) {
            return "(no body)";
        }
        try {
            JsonNode node = JSON.readTree(body);
            if (node != null) {
                String message = node.path("error").path("message").asText(node.path("message").asText(""));
                if (!message.isEmpty()) {
                    return excerpt(message);
                }
            }
        } catch (Exception e) {
            // not JSON: the text itself is the best detail there is
        }
        return excerpt(body);
    }

    /** {@code text} on one line, cut to a length a table or a log line can hold. */
    static String excerpt(String text) {
        String line = text.strip().replaceAll("\\s+", " ");
        return line.length() <= EXCERPT_CHARS ? line : line.substring(0, EXCERPT_CHARS) + "...";
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
