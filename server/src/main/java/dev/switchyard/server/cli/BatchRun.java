package dev.switchyard.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An offline batch in OpenAI's Batch API file format, run through a server this process started: each
 * input line is {@code {"custom_id", "method": "POST", "url", "body"}}, each output line
 * {@code {"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}} in the
 * input's order. The requests go to the server's own endpoints over loopback, at most
 * {@code concurrency} at once, so a batch gets everything a client would (the same validation,
 * scheduling and errors). A line that cannot be sent (not JSON, no {@code custom_id}, a method other
 * than POST, a streamed body) gets an {@code error} and no response; a request the server refuses gets
 * its status and error body, as OpenAI's batches report them.
 */
final class BatchRun {

    /** What a batch did: its lines, and how many the server answered 200. */
    record Summary(int lines, int succeeded, double seconds) {
    }

    private final ObjectMapper json = new ObjectMapper();
    private final String base;
    private final String apiKey;
    private final int concurrency;

    /** Checks the settings before anything starts; {@link #at} names the server once it listens. */
    BatchRun(String base, String apiKey, int concurrency) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("--batch-concurrency must be at least 1, got " + concurrency);
        }
        this.base = base;
        this.apiKey = apiKey;
        this.concurrency = concurrency;
    }

    /** The same batch, sent to the server at {@code base} ({@code http://host:port}). */
    BatchRun at(String base) {
        return new BatchRun(base, apiKey, concurrency);
    }

    Summary run(Path input, Path output) throws IOException, InterruptedException {
        long start = System.nanoTime();
        int lines = 0;
        int succeeded = 0;
        Deque<CompletableFuture<ObjectNode>> pending = new ArrayDeque<>();
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        try (BufferedReader in = Files.newBufferedReader(input, StandardCharsets.UTF_8);
             BufferedWriter out = Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                lines++;
                if (pending.size() == concurrency) {
                    succeeded += write(out, pending.removeFirst());
                }
                pending.addLast(send(client, line, number));
            }
            while (!pending.isEmpty()) {
                succeeded += write(out, pending.removeFirst());
            }
        } finally {
            client.shutdownNow(); // whatever is still in flight (a failed write) is abandoned with the batch
        }
        return new Summary(lines, succeeded, (System.nanoTime() - start) / 1e9);
    }

    /** Writes the next result in input order; 1 when the server answered it with 200. */
    private int write(BufferedWriter out, CompletableFuture<ObjectNode> result) throws IOException, InterruptedException {
        ObjectNode line;
        try {
            line = result.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("the batch's request failed: " + e.getCause().getMessage(), e.getCause());
        }
        out.write(json.writeValueAsString(line));
        out.newLine();
        return line.path("response").path("status_code").asInt() == 200 ? 1 : 0;
    }

    private CompletableFuture<ObjectNode> send(HttpClient client, String text, int number) {
        JsonNode request;
        try {
            request = json.readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return CompletableFuture.completedFuture(failed(null, "line " + number + " is not JSON: "
                    + e.getOriginalMessage()));
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
            return CompletableFuture.completedFuture(failed(customId, "line " + number + ": " + problem));
        }
        HttpRequest.Builder post = HttpRequest.newBuilder(URI.create(base + url))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        if (apiKey != null) {
            post.header("Authorization", "Bearer " + apiKey);
        }
        return client.sendAsync(post.build(), HttpResponse.BodyHandlers.ofString()).thenApply(r -> answered(customId, r));
    }

    private ObjectNode answered(String customId, HttpResponse<String> r) {
        ObjectNode line = start(customId);
        ObjectNode response = line.putObject("response");
        response.put("status_code", r.statusCode());
        response.put("request_id", "req_" + hex());
        try {
            response.set("body", json.readTree(r.body()));
        } catch (IOException e) {
            response.put("body", r.body());
        }
        line.putNull("error");
        return line;
    }

    private ObjectNode failed(String customId, String message) {
        ObjectNode line = start(customId);
        line.putNull("response");
        ObjectNode error = line.putObject("error");
        error.put("code", "invalid_request");
        error.put("message", message);
        return line;
    }

    private ObjectNode start(String customId) {
        ObjectNode line = json.createObjectNode();
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
}
