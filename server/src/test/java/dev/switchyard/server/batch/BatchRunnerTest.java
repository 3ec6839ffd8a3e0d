package dev.switchyard.server.batch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How a batch's requests are sent, against a stand-in server that records them: at the batch
 * priority only where the server schedules by priority (a line's own priority kept), the lines left
 * when the completion window ends expired into the error file, a stopping server cancelling the
 * batch running and the ones queued (or, where the files are kept, leaving them to the next server,
 * which goes on from their results), ended batches kept across restarts beside kept files, and
 * batches running side by side within one bound on the requests in flight.
 */
class BatchRunnerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpServer stub;
    private final List<JsonNode> received = new CopyOnWriteArrayList<>();
    /** Requests the stand-in has answered. */
    private final java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();
    private volatile java.util.function.Consumer<JsonNode> onRequest = body -> { };
    /** The status the stand-in answers a request with. */
    private volatile java.util.function.ToIntFunction<JsonNode> statusOf = body -> 200;
    private FileStore store;
    private FilesApi files;
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-30T00:00:00Z"));
    private final InstantSource clock = () -> now.get();

    @BeforeEach
    void start() throws IOException {
        stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        stub.createContext("/", exchange -> {
            JsonNode request = JSON.readTree(exchange.getRequestBody());
            received.add(request);
            onRequest.accept(request);
            byte[] body = "{\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.getResponseHeaders().set("X-Request-Id", "stub-" + received.size());
            try {
                exchange.sendResponseHeaders(statusOf.applyAsInt(request), body.length);
                exchange.getResponseBody().write(body);
            } catch (IOException gone) {
                // the batch abandoned the request
            }
            exchange.close();
            answered.incrementAndGet();
        });
        stub.start();
        store = FileStore.temporary(1 << 20);
        files = new FilesApi(store);
    }

    @AfterEach
    void stop() {
        stub.stop(0);
        store.close();
    }

    private BatchesApi batches(boolean byPriority, int concurrency) {
        BatchesApi api = new BatchesApi(files, concurrency, () -> byPriority, null, clock);
        api.listeningAt("http://127.0.0.1:" + stub.getAddress().getPort());
        return api;
    }

    private String input(String url, List<String> bodies) throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < bodies.size(); i++) {
            text.append("{\"custom_id\":\"r").append(i).append("\",\"method\":\"POST\",\"url\":\"").append(url)
                    .append("\",\"body\":").append(bodies.get(i)).append("}\n");
        }
        return store.add("in.jsonl", FilesApi.BATCH, target -> Files.writeString(target, text), false).id();
    }

    private static JsonNode call(Call call) throws IOException {
        StringWriter out = new StringWriter();
        try (var g = JSON.getFactory().createGenerator(out)) {
            call.write(g);
        }
        return JSON.readTree(out.toString());
    }

    @FunctionalInterface
    private interface Call {
        void write(com.fasterxml.jackson.core.JsonGenerator g) throws IOException;
    }

    private static JsonNode create(BatchesApi api, String fileId, String endpoint) throws IOException {
        return call(g -> api.create(JSON.readTree("{\"input_file_id\":\"" + fileId + "\",\"endpoint\":\"" + endpoint
                + "\",\"completion_window\":\"24h\"}"), null, g));
    }

    private static JsonNode ended(BatchesApi api, String id) throws Exception {
        for (int i = 0; i < 400; i++) {
            JsonNode b = call(g -> api.retrieve(id, null, g));
            if (List.of("completed", "failed", "expired", "cancelled").contains(b.get("status").asText())) {
                return b;
            }
            Thread.sleep(25);
        }
        throw new AssertionError("batch " + id + " did not end");
    }

    private List<String> lines(String fileId) throws IOException {
        return Files.readAllLines(store.get(fileId).path());
    }

    @Test
    void requestsRunAtTheBatchPriorityOnlyWhereTheServerSchedulesByPriority() throws Exception {
        try (BatchesApi api = batches(true, 2)) {
            String in = input("/v1/chat/completions", List.of("{\"max_tokens\":1}", "{\"priority\":-3}"));
            assertThat(ended(api, create(api, in, "/v1/chat/completions").get("id").asText()).get("status").asText())
                    .isEqualTo("completed");
            assertThat(received).extracting(b -> b.path("priority").asInt())
                    .containsExactlyInAnyOrder(BatchRunner.PRIORITY, -3);
            received.clear();
            String messages = input("/v1/messages", List.of("{\"max_tokens\":1}"));
            ended(api, create(api, messages, "/v1/messages").get("id").asText());
            assertThat(received.getFirst().has("priority")).as("Messages requests take no priority").isFalse();
        }
        received.clear();
        try (BatchesApi api = batches(false, 2)) {
            String in = input("/v1/completions", List.of("{\"max_tokens\":1}"));
            JsonNode done = ended(api, create(api, in, "/v1/completions").get("id").asText());
            assertThat(done.at("/usage/input_tokens").asInt()).isEqualTo(3);
            assertThat(done.at("/usage/output_tokens").asInt()).isEqualTo(2);
            assertThat(received.getFirst().has("priority")).as("first come, first served: no priority").isFalse();
        }
    }

    @Test
    void theLinesLeftWhenTheWindowEndsExpire() throws Exception {
        onRequest = body -> now.updateAndGet(t -> t.plus(Duration.ofHours(25)));
        try (BatchesApi api = batches(false, 1)) {
            String in = input("/v1/completions", List.of("{}", "{}", "{}"));
            JsonNode done = ended(api, create(api, in, "/v1/completions").get("id").asText());
            assertThat(done.get("status").asText()).isEqualTo("expired");
            assertThat(done.get("expired_at").asLong()).isGreaterThan(done.get("expires_at").asLong());
            assertThat(done.at("/request_counts/completed").asInt()).isEqualTo(1);
            assertThat(done.at("/request_counts/failed").asInt()).isEqualTo(2);
            assertThat(received).hasSize(1);
            assertThat(lines(done.get("output_file_id").asText())).singleElement().satisfies(l -> assertThat(
                    JSON.readTree(l).at("/response/request_id").asText()).as("the server's id for the request")
                    .isEqualTo("stub-1"));
            List<JsonNode> expired = lines(done.get("error_file_id").asText()).stream().map(l -> {
                try {
                    return JSON.readTree(l);
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }).toList();
            assertThat(expired).extracting(l -> l.get("custom_id").asText()).containsExactly("r1", "r2");
            assertThat(expired).extracting(l -> l.at("/error/code").asText()).containsOnly("batch_expired");
        }
    }

    @Test
    void aStoppingServerCancelsTheRunningBatchAndTheQueuedOnes() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        onRequest = body -> {
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        BatchesApi api = batches(false, 1);
        String in = input("/v1/completions", List.of("{}", "{}"));
        String running = create(api, in, "/v1/completions").get("id").asText();
        String queued = create(api, in, "/v1/completions").get("id").asText();
        for (int i = 0; i < 200 && received.isEmpty(); i++) {
            Thread.sleep(25);
        }
        long start = System.nanoTime();
        api.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        release.countDown();
        assertThat(call(g -> api.retrieve(running, null, g)).get("status").asText()).isEqualTo("cancelled");
        assertThat(call(g -> api.retrieve(queued, null, g)).get("status").asText()).isEqualTo("cancelled");
        assertThat(received).hasSize(1);
    }

    @Test
    void endedBatchesAreKeptAcrossRestartsWhereTheFilesAre(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        JsonNode done;
        try (FileStore kept = FileStore.in(dir, 1 << 20)) {
            String in = kept.add("in.jsonl", FilesApi.BATCH, t -> Files.writeString(t,
                    "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/completions\",\"body\":{}}\n"), false).id();
            try (BatchesApi api = keptBatches(kept, 1)) {
                done = ended(api, create(api, in, "/v1/completions").get("id").asText());
            }
        }
        try (FileStore kept = FileStore.in(dir, 1 << 20); BatchesApi api = keptBatches(kept, 1)) {
            assertThat(done.get("status").asText()).isEqualTo("completed");
            assertThat(call(g -> api.retrieve(done.get("id").asText(), null, g))).isEqualTo(done);
            assertThat(call(g -> api.list(null, null, null, g)).get("data")).extracting(b -> b.get("id").asText())
                    .containsExactly(done.get("id").asText());
            assertThat(Files.readAllLines(kept.get(done.get("output_file_id").asText()).path())).hasSize(1);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> call(g -> api.cancel(done.get("id").asText(), null, g)))
                    .hasMessageContaining("completed");
        }
        assertThat(received).hasSize(1);
    }

    /** Batches over a store kept across restarts, listening at the stand-in. */
    private BatchesApi keptBatches(FileStore kept, int concurrency) {
        BatchesApi api = new BatchesApi(new FilesApi(kept), concurrency, () -> false, null, clock);
        api.listeningAt("http://127.0.0.1:" + stub.getAddress().getPort());
        return api;
    }

    /** Six completions numbered {@code n} 0 to 5, kept in {@code kept}; the file's id. */
    private static String numbered(FileStore kept, int count) throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < count; i++) {
            text.append("{\"custom_id\":\"r").append(i).append("\",\"method\":\"POST\",\"url\":\"/v1/completions\","
                    + "\"body\":{\"n\":").append(i).append("}}\n");
        }
        return kept.add("in.jsonl", FilesApi.BATCH, t -> Files.writeString(t, text), false).id();
    }

    /** Holds the request numbered {@code n} until {@code release} opens. */
    private void holdAt(int n, CountDownLatch release) {
        onRequest = body -> {
            if (body.path("n").asInt(-1) == n) {
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
    }

    /** Starts a batch of six in {@code dir} and stops the server while the fourth request runs; the batch's id. */
    private String stoppedAtTheFourth(Path dir) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        holdAt(3, release);
        try (FileStore kept = FileStore.in(dir, 1 << 20)) {
            String in = numbered(kept, 6);
            BatchesApi api = keptBatches(kept, 1);
            String id = create(api, in, "/v1/completions").get("id").asText();
            for (int i = 0; i < 400 && received.size() < 4; i++) {
                Thread.sleep(25);
            }
            long start = System.nanoTime();
            api.close();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            assertThat(call(g -> api.retrieve(id, null, g)).get("status").asText()).as("left, not cancelled")
                    .isEqualTo("in_progress");
            return id;
        } finally {
            release.countDown();
            onRequest = body -> { };
        }
    }

    @Test
    void aBatchTheServerStoppedInTheMiddleGoesOnUnderTheNextFromItsResults(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        String id = stoppedAtTheFourth(dir);
        assertThat(JSON.readTree(dir.resolve(id + ".json").toFile()).get("status").asText()).isEqualTo("in_progress");
        Path output = dir.resolve(".running").resolve(id + "_output.jsonl");
        assertThat(Files.readAllLines(output)).hasSize(3);
        // a server killed while writing a result leaves it cut short: that request runs again
        Files.writeString(output, "{\"custom_id\":\"r3\",\"respo", java.nio.file.StandardOpenOption.APPEND);
        received.clear();
        try (FileStore kept = FileStore.in(dir, 1 << 20); BatchesApi api = keptBatches(kept, 1)) {
            JsonNode done = ended(api, id);
            assertThat(done.get("status").asText()).isEqualTo("completed");
            assertThat(done.at("/request_counts/total").asInt()).isEqualTo(6);
            assertThat(done.at("/request_counts/completed").asInt()).isEqualTo(6);
            assertThat(done.at("/usage/input_tokens").asInt()).as("every answer's tokens, before and after").isEqualTo(18);
            assertThat(Files.readAllLines(kept.get(done.get("output_file_id").asText()).path()))
                    .extracting(l -> JSON.readTree(l).get("custom_id").asText())
                    .containsExactly("r0", "r1", "r2", "r3", "r4", "r5");
            assertThat(received).as("only the requests with no result are sent again")
                    .extracting(b -> b.get("n").asInt()).containsExactly(3, 4, 5);
            assertThat(dir.resolve(".running")).isEmptyDirectory();
        }
    }

    @Test
    void aBatchCancelledWhileTheServerWasStoppedEndsWithTheResultsItHad(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        String id = stoppedAtTheFourth(dir);
        received.clear();
        try (FileStore kept = FileStore.in(dir, 1 << 20)) {
            // the server takes requests before its batches go on (they wait for it to listen)
            try (BatchesApi api = new BatchesApi(new FilesApi(kept), 1, () -> false, null, clock)) {
                assertThat(call(g -> api.cancel(id, null, g)).get("status").asText()).isEqualTo("cancelling");
            }
            assertThat(JSON.readTree(dir.resolve(id + ".json").toFile()).get("status").asText()).isEqualTo("cancelling");
        }
        try (FileStore kept = FileStore.in(dir, 1 << 20); BatchesApi api = keptBatches(kept, 1)) {
            JsonNode done = ended(api, id);
            assertThat(done.get("status").asText()).isEqualTo("cancelled");
            assertThat(done.at("/request_counts/completed").asInt()).isEqualTo(3);
            assertThat(lines(kept, done.get("output_file_id").asText())).hasSize(3);
        }
        assertThat(received).as("a cancelled batch sends nothing more").isEmpty();
    }

    private static List<String> lines(FileStore kept, String fileId) throws IOException {
        return Files.readAllLines(kept.get(fileId).path());
    }

    @Test
    void messageBatchesAreKeptAcrossRestartsToo(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String id;
        try (FileStore kept = FileStore.in(dir, 1 << 20);
             BatchesApi api = new BatchesApi(new FilesApi(kept), 1, () -> false, null, clock)) {
            api.listeningAt("http://127.0.0.1:" + stub.getAddress().getPort());
            MessageBatchesApi messages = new MessageBatchesApi(api);
            id = call(g -> messages.create(JSON.readTree("{\"requests\":[{\"custom_id\":\"a\",\"params\":"
                    + "{\"max_tokens\":1}}]}"), null, "http://here", g)).get("id").asText();
            for (int i = 0; i < 400 && !call(g -> messages.retrieve(id, null, "http://here", g)).get("processing_status")
                    .asText().equals("ended"); i++) {
                Thread.sleep(25);
            }
        }
        try (FileStore kept = FileStore.in(dir, 1 << 20);
             BatchesApi api = new BatchesApi(new FilesApi(kept), 1, () -> false, null, clock)) {
            MessageBatchesApi messages = new MessageBatchesApi(api);
            JsonNode b = call(g -> messages.retrieve(id, null, "http://here", g));
            assertThat(b.get("processing_status").asText()).isEqualTo("ended");
            assertThat(b.at("/request_counts/succeeded").asInt()).isEqualTo(1);
            assertThat(b.get("results_url").asText()).isEqualTo("http://here/v1/messages/batches/" + id + "/results");
            assertThat(Files.readAllLines(messages.results(id, null))).singleElement()
                    .satisfies(l -> assertThat(JSON.readTree(l).at("/result/type").asText()).isEqualTo("succeeded"));
        }
    }

    @Test
    void aMessageBatchTheServerStoppedGoesOnToo(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        holdAt(1, release);
        String id;
        try (FileStore kept = FileStore.in(dir, 1 << 20)) {
            BatchesApi api = keptBatches(kept, 1);
            MessageBatchesApi messages = new MessageBatchesApi(api);
            id = call(g -> messages.create(JSON.readTree("{\"requests\":[{\"custom_id\":\"a\",\"params\":{\"n\":0}},"
                    + "{\"custom_id\":\"b\",\"params\":{\"n\":1}},{\"custom_id\":\"c\",\"params\":{\"n\":2}}]}"),
                    null, "http://here", g)).get("id").asText();
            for (int i = 0; i < 400 && received.size() < 2; i++) {
                Thread.sleep(25);
            }
            api.close();
        } finally {
            release.countDown();
            onRequest = body -> { };
        }
        try (FileStore kept = FileStore.in(dir, 1 << 20); BatchesApi api = keptBatches(kept, 1)) {
            MessageBatchesApi messages = new MessageBatchesApi(api);
            JsonNode b = null;
            for (int i = 0; i < 400; i++) {
                b = call(g -> messages.retrieve(id, null, "http://here", g));
                if (b.get("processing_status").asText().equals("ended")) {
                    break;
                }
                Thread.sleep(25);
            }
            assertThat(b.at("/request_counts/succeeded").asInt()).isEqualTo(3);
            assertThat(Files.readAllLines(messages.results(id, null))).extracting(l -> JSON.readTree(l).at("/result/type")
                    .asText()).containsExactly("succeeded", "succeeded", "succeeded");
        }
        assertThat(received).extracting(r -> r.get("n").asInt()).containsExactly(0, 1, 1, 2);
    }

    @Test
    void aSmallBatchIsNotHeldBehindALargeOneAndTheBoundHoldsForAll() throws Exception {
        java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
        onRequest = body -> {
            most.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                Thread.sleep(body.has("slow") ? 150 : 5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            running.decrementAndGet();
        };
        try (BatchesApi api = batches(false, 2)) {
            String large = input("/v1/completions", java.util.Collections.nCopies(20, "{\"slow\":true}"));
            String small = input("/v1/completions", List.of("{}", "{}"));
            String first = create(api, large, "/v1/completions").get("id").asText();
            Thread.sleep(100);
            JsonNode smallDone = ended(api, create(api, small, "/v1/completions").get("id").asText());
            assertThat(smallDone.get("status").asText()).isEqualTo("completed");
            assertThat(call(g -> api.retrieve(first, null, g)).get("status").asText())
                    .as("the large batch still runs when the small one, made after it, has ended").isEqualTo("in_progress");
            assertThat(ended(api, first).at("/request_counts/completed").asInt()).isEqualTo(20);
        }
        assertThat(most.get()).as("requests in flight at once, both batches together").isEqualTo(2);
    }

    @Test
    void aCancelledBatchKeepsTheAnswersThatCameBehindARequestStillRunningAndSendsNoMore() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        onRequest = body -> {
            if (body.has("slow")) {
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        try (BatchesApi api = batches(false, 2)) {
            String in = input("/v1/completions", List.of("{\"slow\":true}", "{}", "{}"));
            String id = create(api, in, "/v1/completions").get("id").asText();
            for (int i = 0; i < 400 && answered.get() < 1; i++) {
                Thread.sleep(25);
            }
            Thread.sleep(200); // the second answer reaches the batch, and waits behind the first in the input's order
            call(g -> api.cancel(id, null, g));
            JsonNode done = ended(api, id);
            assertThat(done.get("status").asText()).isEqualTo("cancelled");
            assertThat(done.at("/request_counts/completed").asInt()).isEqualTo(1);
            assertThat(lines(done.get("output_file_id").asText())).singleElement()
                    .satisfies(l -> assertThat(JSON.readTree(l).get("custom_id").asText()).isEqualTo("r1"));
            assertThat(received).as("nothing is sent once the batch is asked to stop").hasSize(2);
        } finally {
            release.countDown();
        }
    }

    @Test
    void aRequestTheServerTurnsAwayIsSentAgainUntilItIsTaken() throws Exception {
        java.util.concurrent.atomic.AtomicInteger tries = new java.util.concurrent.atomic.AtomicInteger();
        statusOf = body -> body.has("busy") && tries.incrementAndGet() <= 2 ? 429 : 200;
        try (BatchesApi api = batches(false, 1)) {
            String in = input("/v1/completions", List.of("{\"busy\":true}", "{}"));
            JsonNode done = ended(api, create(api, in, "/v1/completions").get("id").asText());
            assertThat(done.get("status").asText()).isEqualTo("completed");
            assertThat(done.at("/request_counts/completed").asInt()).isEqualTo(2);
            assertThat(done.at("/request_counts/failed").asInt()).isZero();
            assertThat(received).extracting(b -> b.has("busy")).containsExactly(true, true, true, false);
        }
    }
}
