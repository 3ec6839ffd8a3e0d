package dev.switchyard.loadtest.fake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * An OpenAI-shaped server with scripted timing, for testing the load test against known delays.
 * Each request runs on its own virtual thread, so the server can hold a thousand streams open; the
 * sleeps are the script's, so every delay the client measures has a known lower bound.
 *
 * <p>It counts what a real server would see: requests, streams finished, clients that went away
 * (a write failing on a closed connection), and the most streams open at once. With
 * {@link #holdUntilOpen} every stream waits until that many are open together, which proves
 * concurrency without depending on how fast the machine is.
 */
public final class FakeOpenAiServer implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final ObjectMapper json = new ObjectMapper();
    private final IntFunction<Reply> script;
    private final boolean tokenize;
    private final AtomicInteger requests = new AtomicInteger();
    private volatile JsonNode lastGeneration;
    /** Every generation request's body, in the order they came. */
    private final java.util.List<JsonNode> generations = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final AtomicInteger finished = new AtomicInteger();
    private final AtomicInteger disconnects = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger maxOpen = new AtomicInteger();
    private final AtomicInteger failedReplies = new AtomicInteger();
    private volatile CountDownLatch gate;
    private volatile long gateTimeoutMs;

    /** {@code script} maps the request's arrival number (1, 2, ...) to its reply. */
    public FakeOpenAiServer(IntFunction<Reply> script, boolean tokenize) throws IOException {
        this.script = script;
        this.tokenize = tokenize;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
        server.setExecutor(threads);
        server.createContext("/v1/models", ex -> answer(ex, 200, "{\"object\":\"list\",\"data\":[{\"id\":\"fake-moe\",\"object\":\"model\"}]}"));
        server.createContext("/v1/completions", this::generate);
        server.createContext("/v1/chat/completions", this::generate);
        server.createContext("/tokenize", this::tokenize);
        server.createContext("/metrics", this::metrics);
        server.start();
    }

    public URI url() {
        return URI.create("http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort());
    }

    public void holdUntilOpen(int streams, long timeoutMs) {
        gateTimeoutMs = timeoutMs;
        gate = new CountDownLatch(streams);
    }

    public int requests() {
        return requests.get();
    }

    /** Every generation request's body so far, in the order they came. */
    public java.util.List<JsonNode> generations() {
        return java.util.List.copyOf(generations);
    }

    /** The body of the last generation request that reached the server, or null. */
    public JsonNode lastGeneration() {
        return lastGeneration;
    }

    /**
     * The streams finished once at least {@code expected} have, or when {@code timeoutMs} has passed.
     * A client holds its whole reply as soon as the last chunk is written, a moment before the
     * server's thread counts the stream, so a test reading the count right after its run must wait.
     */
    public int awaitFinished(int expected, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (finished.get() < expected && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return finished.get();
    }

    public int disconnects() {
        return disconnects.get();
    }

    public int maxOpen() {
        return maxOpen.get();
    }

    /** The fake tokenizer: words longer than five letters are two tokens, others one. */
    public static int tokens(String text) {
        int n = 0;
        for (String w : text.strip().split("\\s+")) {
            if (!w.isEmpty()) {
                n += w.length() > 5 ? 2 : 1;
            }
        }
        return n;
    }

    private void generate(HttpExchange ex) throws IOException {
        int number = requests.incrementAndGet();
        JsonNode body = json.readTree(ex.getRequestBody().readAllBytes());
        lastGeneration = body;
        generations.add(body);
        String prompt = body.has("messages") ? body.get("messages").get(0).get("content").asText() : body.path("prompt").asText();
        Reply reply = script.apply(number);
        switch (reply) {
            case Reply.Status s -> {
                failedReplies.incrementAndGet();
                answer(ex, s.code(), s.body());
            }
            case Reply.Stream s -> stream(ex, s, tokens(prompt), body.has("messages"));
        }
    }

    private void stream(HttpExchange ex, Reply.Stream s, int promptTokens, boolean chat) throws IOException {
        ex.getResponseHeaders().add("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        int now = open.incrementAndGet();
        maxOpen.accumulateAndGet(now, Math::max);
        try {
            CountDownLatch g = gate;
            if (g != null) {
                g.countDown();
                g.await(gateTimeoutMs, TimeUnit.MILLISECONDS);
            }
            if (chat) {
                send(out, "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}");
            }
            for (int i = 0; i < s.chunks(); i++) {
                if (i == s.errorAfter()) {
                    failedReplies.incrementAndGet();
                    send(out, "{\"error\":{\"message\":\"scripted failure\",\"type\":\"server_error\"}}");
                    return;
                }
                if (i == s.truncateAfter()) {
                    failedReplies.incrementAndGet();
                    return;
                }
                Thread.sleep(i == 0 ? s.firstMs() : s.gapMs());
                String text = " tok" + i;
                send(out, chat
                        ? "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + text + "\"},\"finish_reason\":null}]}"
                        : "{\"choices\":[{\"index\":0,\"text\":\"" + text + "\",\"finish_reason\":null}]}");
            }
            if (s.usageTokens() >= 0) {
                send(out, "{\"choices\":[],\"usage\":{\"prompt_tokens\":" + promptTokens + ",\"completion_tokens\":"
                        + s.usageTokens() + ",\"total_tokens\":" + (promptTokens + s.usageTokens()) + "}}");
            }
            send(out, "[DONE]");
            finished.incrementAndGet();
        } catch (IOException e) {
            disconnects.incrementAndGet();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.decrementAndGet();
            try {
                out.close();
            } catch (IOException ignored) {
                // the client is gone; nothing to tell it
            }
            ex.close();
        }
    }

    private static void send(OutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private void tokenize(HttpExchange ex) throws IOException {
        if (!tokenize) {
            answer(ex, 404, "{\"error\":{\"message\":\"not found\"}}");
            return;
        }
        JsonNode body = json.readTree(ex.getRequestBody().readAllBytes());
        answer(ex, 200, "{\"count\":" + tokens(body.path("prompt").asText()) + "}");
    }

    /**
     * Counters that move with the traffic: each finished stream 3 expert-cache hits and 1 miss (per
     * layer, as Switchyard exports them); each failure a preemption.
     */
    private void metrics(HttpExchange ex) throws IOException {
        int done = finished.get();
        String page = "# HELP switchyard_expert_cache_hits_total Expert cache hits.\n"
                + "# TYPE switchyard_expert_cache_hits_total counter\n"
                + "switchyard_expert_cache_hits_total{layer=\"0\",model=\"fake-moe\"} " + (60 + 2 * done) + "\n"
                + "switchyard_expert_cache_hits_total{layer=\"1\",model=\"fake-moe\"} " + (40 + done) + "\n"
                + "switchyard_expert_cache_misses_total{layer=\"0\",model=\"fake-moe\"} " + (30 + done) + "\n"
                + "switchyard_expert_cache_misses_total{layer=\"1\",model=\"fake-moe\"} 20\n"
                + "switchyard_preemptions_total{model=\"fake-moe\"} " + failedReplies.get() + "\n"
                + "switchyard_kv_usage_ratio{model=\"fake-moe\"} " + (open.get() / 10.0) + "\n"
                + "switchyard_requests_running{model=\"fake-moe\"} " + open.get() + "\n"
                + "switchyard_time_to_first_token_seconds_bucket{model=\"fake-moe\",le=\"+Inf\"} " + done + "\n";
        answer(ex, 200, page);
    }

    private static void answer(HttpExchange ex, int code, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getRequestBody().readAllBytes();
        ex.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
