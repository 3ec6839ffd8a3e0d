package dev.switchyard.server.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Lines of OpenAI's Batch API file format, sent to a server's own endpoints: each input line is
 * {@code {"custom_id", "method": "POST", "url", "body"}}, each result
 * {@code {"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}}. A request
 * goes to the server over HTTP, so a batch's requests get everything a client's get (the same
 * validation, scheduling and errors). A line that cannot be sent (not JSON, no {@code custom_id}, a
 * method other than POST, a streamed body) gets an {@code error} and no response; a request the
 * server refuses gets its status and error body, as OpenAI's batches report them.
 */
public final class BatchLines {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a line says, once it is known to be sendable. */
    public record Line(String customId, String url, ObjectNode body) {
    }

    /** A line that cannot be sent, and why (the {@code custom_id} when it has one). */
    public static final class Unsendable extends Exception {

        private final String customId;

        Unsendable(String customId, String message) {
            super(message, null, false, false);
            this.customId = customId;
        }

        public String customId() {
            return customId;
        }
    }

    /** A batch file's lines that hold something, one at a time, with their numbers (from 1) for messages. */
    public static final class Numbered {

        private final java.io.BufferedReader in;
        private int number;

        public Numbered(java.io.BufferedReader in) {
            this.in = in;
        }

        /** The next line that is not blank; null at the end. */
        public String next() throws IOException {
            String text;
            while ((text = in.readLine()) != null) {
                number++;
                if (!text.isBlank()) {
                    return text;
                }
            }
            return null;
        }

        /** The number of the line {@link #next} returned last. */
        public int number() {
            return number;
        }
    }

    /**
     * Sent with the server's own key beside it: the name of the key that made the batch, which its
     * requests count for and share cached prompt blocks with. The server takes it from its own key alone.
     */
    public static final String OWNER_HEADER = "x-switchyard-batch-owner";

    private final String base;
    private final String apiKey;
    private final String owner;
    private final HttpClient client;

    /**
     * Lines sent to the server at {@code base} ({@code http://host:port}) with {@code apiKey} (null
     * for none), over {@code client}.
     */
    public BatchLines(String base, String apiKey, HttpClient client) {
        this(base, apiKey, null, client);
    }

    /** The same, on behalf of the key named {@code owner} (null: the server's own; see {@link #OWNER_HEADER}). */
    public BatchLines(String base, String apiKey, String owner, HttpClient client) {
        this.base = base;
        this.apiKey = apiKey;
        this.owner = owner;
        this.client = client;
    }

    /** An HTTP/1.1 client for a batch's requests, which the caller closes when the batch ends. */
    public static HttpClient newClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** Line {@code number} (from 1) read, or why it cannot be sent. */
    public static Line parse(String text, int number) throws Unsendable {
        JsonNode request;
        try {
            request = JSON.readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new Unsendable(null, "line " + number + " is not JSON: " + e.getOriginalMessage());
        }
        if (request == null || !request.isObject()) {
            throw new Unsendable(null, "line " + number + " is not a JSON object");
        }
        String customId = request.path("custom_id").isTextual() ? request.get("custom_id").textValue() : null;
        String method = request.path("method").asText("POST");
        String url = request.path("url").isTextual() ? request.get("url").textValue() : null;
        JsonNode body = request.get("body");
        String problem = customId == null ? "custom_id is required (a string)"
                : !method.equals("POST") ? "method must be POST, got " + method
                : url == null || !url.startsWith("/") ? "url must be an endpoint's path, such as /v1/chat/completions"
                : body == null || !body.isObject() ? "body must be an object"
                : body.path("stream").asBoolean(false) ? "body.stream: a batch's replies are whole, not streamed"
                : null;
        if (problem != null) {
            throw new Unsendable(customId, "line " + number + ": " + problem);
        }
        return new Line(customId, url, (ObjectNode) body);
    }

    /** Sends line {@code number}; the result line follows (an unsendable line's at once). */
    public CompletableFuture<ObjectNode> send(String text, int number) {
        try {
            return send(parse(text, number));
        } catch (Unsendable e) {
            return CompletableFuture.completedFuture(failed(e.customId(), "invalid_request", e.getMessage()));
        }
    }

    /** Sends a line read by {@link #parse}; its result follows. */
    public CompletableFuture<ObjectNode> send(Line line) {
        HttpRequest.Builder post = HttpRequest.newBuilder(URI.create(base + line.url()))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(line.body().toString()));
        if (apiKey != null) {
            post.header("Authorization", "Bearer " + apiKey);
            if (owner != null) {
                post.header(OWNER_HEADER, owner);
            }
        }
        return client.sendAsync(post.build(), HttpResponse.BodyHandlers.ofString())
                .thenApply(r -> answered(line.customId(), r));
    }

    /** Whether a result line is a request the server answered with 200. */
    public static boolean succeeded(JsonNode result) {
        return result.path("response").path("status_code").asInt() == 200;
    }

    private static ObjectNode answered(String customId, HttpResponse<String> r) {
        ObjectNode line = start(customId);
        ObjectNode response = line.putObject("response");
        response.put("status_code", r.statusCode());
        // the server's id for the request, which its access log names it by
        response.put("request_id", r.headers().firstValue(dev.switchyard.server.accesslog.RequestIds.HEADER)
                .orElseGet(() -> "req_" + hex()));
        try {
            response.set("body", JSON.readTree(r.body()));
        } catch (IOException e) {
            response.put("body", r.body());
        }
        line.putNull("error");
        return line;
    }

    /** The result of a line that was not answered: no response, an error with {@code code} and {@code message}. */
    public static ObjectNode failed(String customId, String code, String message) {
        ObjectNode line = start(customId);
        line.putNull("response");
        ObjectNode error = line.putObject("error");
        error.put("code", code);
        error.put("message", message);
        return line;
    }

    private static ObjectNode start(String customId) {
        ObjectNode line = JSON.createObjectNode();
        line.put("id", "batch_req_" + hex());
        if (customId != null) {
            line.put("custom_id", customId);
        } else {
            line.putNull("custom_id");
        }
        return line;
    }

    private static String hex() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
    }

    /** One line of JSON for a result. */
    public static String text(ObjectNode result) {
        try {
            return JSON.writeValueAsString(result);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
