package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.engine.schedule.Speculation;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.server.TinyModelFile;
import dev.switchyard.server.accesslog.AccessLog;
import dev.switchyard.server.accesslog.LoggedLines;
import dev.switchyard.server.serving.ApiKeys;
import dev.switchyard.server.serving.EngineConfig;
import dev.switchyard.server.serving.ReasoningFormat;
import java.io.StringWriter;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code priority=N} in the key file, with {@code --scheduling-policy priority}: a key's requests
 * run at its level, plus whatever less urgency they ask, so one client's request cannot go ahead of
 * another key's by asking a lower priority, while a key of a more urgent level does go ahead. The
 * access log names the priority each request ran at.
 */
class KeyPriorityTest {

    private static final String KEYS = "alice sk-alice priority=10\nbob sk-bob priority=-5\ncarol sk-carol\n";

    private static EngineConfig oneSlot() {
        DispatchConfig dispatch = DispatchConfig.defaults(true);
        return new EngineConfig(1, 1, EngineConfig.defaultBatchTokens(1, dispatch), 0, 16, Duration.ZERO, dispatch,
                ReasoningFormat.AUTO, true, KvCacheType.F16, Speculation.NONE, true);
    }

    private static ServerFixture serve(Path dir, StringWriter lines, AccessLog log) throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), KEYS);
        return ServerFixture.servingWith(TinyModelFile.longContext(), oneSlot(), HttpServerConfig.loopback(0)
                .withApiKeys(ApiKeys.from(null, file).schedulingByPriority(true)).withRecorder(log));
    }

    private static HttpResponse<String> complete(ServerFixture server, String key, String id, int maxTokens,
                                                 Integer priority) {
        return server.send(HttpRequest.newBuilder(server.uri("/v1/completions")).header("Authorization", "Bearer " + key)
                .header("X-Request-Id", id).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"The switchyard at night\",\"max_tokens\":"
                        + maxTokens + ",\"temperature\":0,\"ignore_eos\":true"
                        + (priority == null ? "" : ",\"priority\":" + priority) + "}")).build());
    }

    /** Sends in the background; completes with the time its answer came. */
    private static CompletableFuture<Long> completedAt(ServerFixture server, String key, String id, int maxTokens,
                                                      Integer priority) {
        return CompletableFuture.supplyAsync(() -> {
            HttpResponse<String> r = complete(server, key, id, maxTokens, priority);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            return System.nanoTime();
        });
    }

    private static void awaitRunning(ServerFixture server) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!server.get("/metrics").body().contains("switchyard_requests_running{model=\"tiny\"} 1.0")) {
            assertThat(System.nanoTime()).as("the long request starts").isLessThan(until);
            Thread.sleep(5);
        }
    }

    @Test
    void aClientCannotGoAheadOfAMoreUrgentKeyByAskingButThatKeyGoesAheadOfIt(@TempDir Path dir) throws Exception {
        StringWriter lines = new StringWriter();
        try (AccessLog log = AccessLog.to(lines); ServerFixture server = serve(dir, lines, log)) {
            // bob's long request runs at -5; alice asks -100 and runs at her level, 10, behind it
            CompletableFuture<Long> bobsLong = completedAt(server, "sk-bob", "bob-long", 400, null);
            awaitRunning(server);
            CompletableFuture<Long> alicesUrgent = completedAt(server, "sk-alice", "alice-urgent", 2, -100);
            bobsLong.get(120, TimeUnit.SECONDS);
            alicesUrgent.get(120, TimeUnit.SECONDS);
            // the server's own clock (the clients' may see two answers out of order): alice was taken
            // in only once bob's request was (nearly) done, not as soon as she asked
            JsonNode bob = LoggedLines.lineOf(lines, "bob-long");
            JsonNode alice = LoggedLines.lineOf(lines, "alice-urgent");
            double bobEnds = java.time.Instant.parse(bob.get("time").asText()).toEpochMilli()
                    + bob.get("duration_ms").asDouble();
            double aliceArrives = java.time.Instant.parse(alice.get("time").asText()).toEpochMilli();
            assertThat(alice.get("queue_ms").asDouble()).as("alice's request waited for bob's")
                    .isGreaterThan(0.5 * (bobEnds - aliceArrives));
            assertThat(alice.get("priority").asInt()).isEqualTo(10);
            assertThat(server.get("/metrics").body()).as("nothing gave way")
                    .contains("switchyard_preemptions_total{model=\"tiny\"} 0.0");

            // alice's long request runs at 10; bob, asking nothing, goes ahead of it
            CompletableFuture<Long> alicesLong = completedAt(server, "sk-alice", "alice-long", 400, null);
            awaitRunning(server);
            HttpResponse<String> bobs = complete(server, "sk-bob", "bob-short", 4, null);
            assertThat(bobs.statusCode()).isEqualTo(200);
            assertThat(alicesLong).as("bob's request ended while alice's still ran").isNotDone();
            assertThat(LoggedLines.lineOf(lines, "bob-short").get("priority").asInt()).isEqualTo(-5);
            alicesLong.get(120, TimeUnit.SECONDS);
            assertThat(server.get("/metrics").body()).containsPattern("switchyard_preemptions_total\\{model=\"tiny\"} [1-9]");
        }
    }

    @Test
    void theAccessLogNamesThePriorityEachRequestRanAt(@TempDir Path dir) throws Exception {
        StringWriter lines = new StringWriter();
        try (AccessLog log = AccessLog.to(lines); ServerFixture server = serve(dir, lines, log)) {
            assertThat(complete(server, "sk-alice", "a-less", 1, 3).statusCode()).isEqualTo(200);
            assertThat(complete(server, "sk-carol", "c-urgent", 1, -7).statusCode()).isEqualTo(200);
            assertThat(complete(server, "sk-carol", "c-plain", 1, null).statusCode()).isEqualTo(200);
            assertThat(LoggedLines.lineOf(lines, "a-less").get("priority").asInt()).as("less urgent than her level")
                    .isEqualTo(13);
            assertThat(LoggedLines.lineOf(lines, "c-urgent").get("priority").asInt()).as("a key without a level")
                    .isEqualTo(-7);
            assertThat(LoggedLines.lineOf(lines, "c-plain").get("priority").asInt()).isZero();

            // a background response runs at its key's level too
            HttpResponse<String> queued = server.send(HttpRequest.newBuilder(server.uri("/v1/responses"))
                    .header("Authorization", "Bearer sk-bob").header("X-Request-Id", "b-background")
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                            "{\"input\":\"Hello\",\"background\":true,\"max_output_tokens\":2}")).build());
            assertThat(queued.statusCode()).as(queued.body()).isEqualTo(200);
            assertThat(LoggedLines.lineOf(lines, "b-background").get("priority").asInt()).isEqualTo(-5);

            // a batch's requests run behind its owner's own, at her level plus the batch's 1000
            JsonNode line = BatchesApiTest.batchLineAs(server, "sk-alice", lines);
            assertThat(line.get("batch_owner").asText()).isEqualTo("alice");
            assertThat(line.get("priority").asInt()).isEqualTo(1010);
        }
    }
}
