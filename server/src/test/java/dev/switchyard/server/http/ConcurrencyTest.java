package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Continuous batching seen from outside: concurrent streams, KV exhaustion and disconnects change
 * nothing in what each request gets.
 */
class ConcurrencyTest {

    private static final String MODEL = "switchyard_kv_usage_ratio{model=\"tiny\"}";
    private static ServerFixture server;

    @BeforeAll
    static void start() throws Exception {
        server = ServerFixture.start(ServerFixture.engine(32, 0, 64), HttpServerConfig.loopback(0));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Request {@code i}: greedy or seeded sampling, completions or chat, prompts and lengths differing. */
    private static String[] request(int i, int maxTokens) {
        String sampling = i % 2 == 0 ? "\"temperature\":0" : "\"temperature\":0.8,\"top_k\":40,\"seed\":" + (1000 + i);
        String common = sampling + ",\"max_tokens\":" + (maxTokens + i % 7) + ",\"ignore_eos\":true,\"stream\":true";
        if (i % 4 < 2) {
            return new String[] {"/v1/completions", "{\"prompt\":\"Request " + i + " says\"," + common + "}"};
        }
        return new String[] {"/v1/chat/completions",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"Question " + i + "?\"}]," + common + "}"};
    }

    private static String run(ServerFixture on, String[] request) {
        List<JsonNode> chunks = on.stream(request[0], request[1]);
        assertThat(ServerFixture.finishReason(chunks, 0)).isEqualTo("length");
        return ServerFixture.streamedText(chunks, 0);
    }

    /** Sends every request at once and returns their streamed texts. */
    private static List<String> runConcurrently(ServerFixture on, List<String[]> requests) throws Exception {
        List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
        for (String[] r : requests) {
            futures.add(on.client.sendAsync(HttpRequest.newBuilder(on.uri(r[0]))
                    .POST(HttpRequest.BodyPublishers.ofString(r[1])).build(), HttpResponse.BodyHandlers.ofString()));
        }
        List<String> texts = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> f : futures) {
            HttpResponse<String> r = f.get(120, TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            List<JsonNode> chunks = ServerFixture.chunks(r.body());
            assertThat(ServerFixture.finishReason(chunks, 0)).isEqualTo("length");
            texts.add(ServerFixture.streamedText(chunks, 0));
        }
        return texts;
    }

    @Test
    void thirtyTwoConcurrentStreamsEachEqualTheRequestAlone() throws Exception {
        List<String[]> requests = new ArrayList<>();
        List<String> alone = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            requests.add(request(i, 12));
            alone.add(run(server, requests.getLast()));
        }
        assertThat(runConcurrently(server, requests)).containsExactlyElementsOf(alone);
    }

    @Test
    void kvExhaustionPreemptsButChangesNoOutput() throws Exception {
        List<String[]> requests = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            requests.add(request(i, 24));
        }
        List<String> unconstrained = runConcurrently(server, requests);
        // 2 layers x (64 + 64) halves = 512 bytes per position in the default F16 cache: 14 blocks of 16
        // positions in all, for 8 sequences that each need 2 or 3 blocks.
        try (ServerFixture tight = ServerFixture.start(ServerFixture.engine(8, 14 * 16 * 512, 64), HttpServerConfig.loopback(0))) {
            assertThat(tight.served.kvCapacityBytes()).isEqualTo(14 * 16 * 512);
            assertThat(runConcurrently(tight, requests)).containsExactlyElementsOf(unconstrained);
            assertThat(tight.metric("switchyard_preemptions_total{model=\"tiny\"}")).isPositive();
        }
    }

    @Test
    void aClientThatDisconnectsMidStreamFreesItsBlocks() throws Exception {
        awaitMetric(MODEL, 0.0);
        double disconnects = server.metric("switchyard_client_disconnects_total{model=\"tiny\"}");
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            BadRequestsTest.startStream(socket, server.port(),
                    "{\"prompt\":\"Hi\",\"max_tokens\":250,\"n\":4,\"ignore_eos\":true,\"stream\":true}");
            BadRequestsTest.awaitFirstChunk(socket);
            // close at once: the whole request takes well under a second on this model
        }
        awaitMetric("switchyard_client_disconnects_total{model=\"tiny\"}", disconnects + 1);
        awaitMetric(MODEL, 0.0);
        assertThat(server.metric("switchyard_request_success_total{finish_reason=\"abort\",model=\"tiny\"}")).isPositive();
        for (int i = 0; i < 20; i++) {
            JsonNode r = server.ok("/v1/completions", "{\"prompt\":\"Follow-up " + i + "\",\"max_tokens\":4,\"ignore_eos\":true}");
            assertThat(r.get("usage").get("completion_tokens").asInt()).isEqualTo(4);
        }
    }

    private static void awaitMetric(String series, double value) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (server.metric(series) != value && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(server.metric(series)).as(series).isEqualTo(value);
    }
}
