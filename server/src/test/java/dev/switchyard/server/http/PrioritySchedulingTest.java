package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.engine.schedule.Speculation;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.server.serving.EngineConfig;
import dev.switchyard.server.serving.ReasoningFormat;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * With {@code --scheduling-policy priority}, a request's {@code priority} orders the scheduler: an
 * urgent request overtakes a long, less urgent one running in the only slot, which gives way and
 * still answers exactly as it would alone. Without it, a priority other than 0 is refused.
 */
class PrioritySchedulingTest {

    private static EngineConfig oneSlot(boolean priorities) {
        DispatchConfig dispatch = DispatchConfig.defaults(true);
        return new EngineConfig(1, 1, EngineConfig.defaultBatchTokens(1, dispatch), 0, 16, Duration.ZERO, dispatch,
                ReasoningFormat.AUTO, true, KvCacheType.F16, Speculation.NONE, priorities);
    }

    private static String completion(int maxTokens, int priority) {
        return "{\"prompt\":\"The switchyard at night\",\"max_tokens\":" + maxTokens + ",\"temperature\":0,"
                + "\"ignore_eos\":true,\"priority\":" + priority + "}";
    }

    @Test
    void anUrgentRequestOvertakesALongerLessUrgentOne() throws Exception {
        // a long context, so that the long request runs long after the urgent one is sent
        try (ServerFixture server = ServerFixture.servingWith(dev.switchyard.server.TinyModelFile.longContext(), oneSlot(true))) {
            String alone = server.ok("/v1/completions", completion(900, 10)).at("/choices/0/text").asText();
            CompletableFuture<JsonNode> background = CompletableFuture.supplyAsync(
                    () -> server.ok("/v1/completions", completion(900, 10)));
            // wait until the long request holds the slot
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!server.get("/metrics").body().contains("switchyard_requests_running{model=\"tiny\"} 1.0")) {
                assertThat(System.nanoTime()).as("the long request starts").isLessThan(until);
                Thread.sleep(5);
            }
            JsonNode urgent = server.ok("/v1/completions", completion(4, -5));
            assertThat(background).as("the urgent request ended while the long one still ran").isNotDone();
            assertThat(urgent.at("/usage/completion_tokens").asInt()).isEqualTo(4);
            JsonNode overtaken = background.get(120, TimeUnit.SECONDS);
            assertThat(overtaken.at("/choices/0/text").asText()).as("giving way changes nothing").isEqualTo(alone);
            assertThat(server.get("/metrics").body()).containsPattern("switchyard_preemptions_total\\{model=\"tiny\"} [1-9]");
        }
    }

    @Test
    void withoutThePolicyAPriorityIsRefused() throws Exception {
        try (ServerFixture server = ServerFixture.start(oneSlot(false), HttpServerConfig.loopback(0))) {
            var refused = server.post("/v1/completions", completion(4, 1));
            assertThat(refused.statusCode()).isEqualTo(400);
            JsonNode error = ServerFixture.parse(refused.body()).get("error");
            assertThat(error.get("param").asText()).isEqualTo("priority");
            assertThat(error.get("message").asText()).contains("--scheduling-policy priority");
            assertThat(server.post("/v1/completions", completion(4, 0)).statusCode()).as("0 is everyone's").isEqualTo(200);
        }
    }
}
