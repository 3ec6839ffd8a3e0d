package dev.switchyard.loadtest.target;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A batch made through the server's OpenAI Batch API ({@code POST /v1/files}, then
 * {@code POST /v1/batches}) beside a measured run: offline work competing with the run's clients,
 * whose effect on them the run measures, and how far it got meanwhile. Its requests are the run's
 * kind, whole rather than streamed.
 */
public final class BatchBeside {

    /**
     * What the batch did: its {@code requests}, how many had ended when the measured run ended, how it
     * ended (or where it stood when waiting for it gave up), its answered and failed requests, and the
     * seconds from running to its end (null when it did not end).
     */
    public record Report(String id, int requests, int doneDuringRun, String status, int completed, int failed,
                         Long seconds) {
    }

    private static final Set<String> ENDED = Set.of("completed", "failed", "expired", "cancelled");
    private static final Duration POLL = Duration.ofMillis(200);

    private final HttpClient client;
    private final URI base;
    private final ObjectMapper json = new ObjectMapper();
    private final String id;
    private final int requests;
    /** Presented on every request; null for none. */
    private final String apiKey;

    private BatchBeside(HttpClient client, URI base, String apiKey, String id, int requests) {
        this.apiKey = apiKey;
        this.client = client;
        this.base = base;
        this.id = id;
        this.requests = requests;
    }

    /**
     * Uploads {@code requests} as an input file and makes a batch of them for {@code api}'s endpoint,
     * presenting {@code apiKey} (null for none).
     *
     * @throws IOException when the server refuses either step (its answer in the message)
     */
    public static BatchBeside start(HttpClient client, URI base, String apiKey, ApiKind api, List<StreamRequest> requests)
            throws IOException, InterruptedException {
        ObjectMapper json = new ObjectMapper();
        RequestBodies bodies = new RequestBodies(json);
        ByteArrayOutputStream lines = new ByteArrayOutputStream();
        for (int i = 0; i < requests.size(); i++) {
            ObjectNode line = json.createObjectNode().put("custom_id", "beside-" + i).put("method", "POST")
                    .put("url", api.path());
            line.set("body", bodies.whole(api, requests.get(i)));
            lines.write(json.writeValueAsBytes(line));
            lines.write('\n');
        }
        String boundary = "switchyard-loadtest-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        ByteArrayOutputStream form = new ByteArrayOutputStream();
        form.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"loadtest-batch.jsonl\"\r\n"
                + "Content-Type: application/jsonl\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        lines.writeTo(form);
        form.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        JsonNode file = send(client, json, ApiKeyHeader.apply(HttpRequest.newBuilder(base.resolve("/v1/files")), apiKey)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(form.toByteArray())).build(), "upload the batch's input");
        ObjectNode create = json.createObjectNode().put("input_file_id", file.path("id").asText())
                .put("endpoint", api.path()).put("completion_window", "24h");
        JsonNode batch = send(client, json, ApiKeyHeader.apply(HttpRequest.newBuilder(base.resolve("/v1/batches")), apiKey)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(create))).build(), "make the batch");
        return new BatchBeside(client, base, apiKey, batch.path("id").asText(), requests.size());
    }

    private static JsonNode send(HttpClient client, ObjectMapper json, HttpRequest request, String what)
            throws IOException, InterruptedException {
        HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("cannot " + what + " at " + request.uri() + ": HTTP " + r.statusCode() + " " + r.body());
        }
        return json.readTree(r.body());
    }

    public String id() {
        return id;
    }

    private JsonNode state() throws IOException, InterruptedException {
        return send(client, json, ApiKeyHeader.apply(HttpRequest.newBuilder(base.resolve("/v1/batches/" + id)), apiKey).GET().build(),
                "read batch " + id);
    }

    /** Waits until the batch's input is checked and its requests run (or it has ended), at most {@code timeout}. */
    public void awaitRunning(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (state().path("status").asText().equals("validating") && System.nanoTime() < deadline) {
            Thread.sleep(POLL.toMillis());
        }
    }

    /** Its requests that have ended so far. */
    public int done() throws IOException, InterruptedException {
        JsonNode counts = state().path("request_counts");
        return counts.path("completed").asInt() + counts.path("failed").asInt();
    }

    /** Stops the batch (one the run gave up waiting for, so that the server is not left busy). */
    public void cancel() throws IOException, InterruptedException {
        send(client, json, ApiKeyHeader.apply(HttpRequest.newBuilder(base.resolve("/v1/batches/" + id + "/cancel")), apiKey)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), "cancel batch " + id);
    }

    /** Waits for the batch to end, at most {@code timeout}, and says what it did. */
    public Report finish(int doneDuringRun, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode b = state();
        while (!ENDED.contains(b.path("status").asText()) && System.nanoTime() < deadline) {
            Thread.sleep(POLL.toMillis());
            b = state();
        }
        Long seconds = null;
        for (String at : List.of("completed_at", "failed_at", "expired_at", "cancelled_at")) {
            if (b.path(at).isNumber() && b.path("in_progress_at").isNumber()) {
                seconds = b.get(at).asLong() - b.get("in_progress_at").asLong();
            }
        }
        JsonNode counts = b.path("request_counts");
        return new Report(id, requests, doneDuringRun, b.path("status").asText(), counts.path("completed").asInt(),
                counts.path("failed").asInt(), seconds);
    }
}
