package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Graceful shutdown in process: in-flight requests finish (or end with abort after the timeout), new ones get 503. */
class DrainTest {

    /** With one sequence at a time, its 4 choices run one after another: long enough to watch. */
    private static final String LONG = "{\"prompt\":\"Hi\",\"max_tokens\":240,\"n\":4,\"ignore_eos\":true,\"stream\":true}";

    private static CompletableFuture<HttpResponse<String>> startLong(ServerFixture server) throws Exception {
        CompletableFuture<HttpResponse<String>> response = server.client.sendAsync(HttpRequest.newBuilder(
                server.uri("/v1/completions")).POST(HttpRequest.BodyPublishers.ofString(LONG)).build(),
                HttpResponse.BodyHandlers.ofString());
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (server.metric("switchyard_requests_running{model=\"tiny\"}") == 0 && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        return response;
    }

    @Test
    void inFlightRequestsFinishAndNewOnesGet503() throws Exception {
        ServerFixture server = ServerFixture.start(ServerFixture.engine(1, 0, 64), HttpServerConfig.loopback(0));
        try {
            CompletableFuture<HttpResponse<String>> inFlight = startLong(server);
            CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> {
                try {
                    return server.server.shutdown(Duration.ofSeconds(60));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            while (server.health.isReady()) {
                Thread.sleep(1);
            }
            HttpResponse<String> refused = server.post("/v1/completions", "{\"prompt\":\"Hi\"}");
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(ServerFixture.parse(refused.body()).get("error").get("code").asText()).isEqualTo("service_unavailable");
            assertThat(inFlight.isDone()).as("the long request was still running when the new one was refused").isFalse();

            var chunks = ServerFixture.chunks(inFlight.get(60, TimeUnit.SECONDS).body());
            for (int i = 0; i < 4; i++) {
                assertThat(ServerFixture.finishReason(chunks, i)).isEqualTo("length");
            }
            assertThat(drained.get(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            server.close();
        }
    }

    @Test
    void requestsStillRunningAfterTheDrainTimeoutEndWithAbort() throws Exception {
        ServerFixture server = ServerFixture.start(ServerFixture.engine(1, 0, 64), HttpServerConfig.loopback(0));
        try {
            CompletableFuture<HttpResponse<String>> inFlight = startLong(server);
            assertThat(server.server.shutdown(Duration.ofMillis(50))).isFalse();
            var chunks = ServerFixture.chunks(inFlight.get(60, TimeUnit.SECONDS).body());
            for (int i = 0; i < 4; i++) {
                assertThat(ServerFixture.finishReason(chunks, i)).isEqualTo("abort");
            }
        } finally {
            server.close();
        }
    }
}
