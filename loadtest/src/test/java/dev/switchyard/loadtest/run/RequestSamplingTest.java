package dev.switchyard.loadtest.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.loadtest.fake.FakeGrpcServer;
import dev.switchyard.loadtest.fake.FakeOpenAiServer;
import dev.switchyard.loadtest.fake.Reply;
import dev.switchyard.loadtest.target.ApiKind;
import dev.switchyard.loadtest.target.GrpcTarget;
import dev.switchyard.loadtest.target.OpenAiHttpTarget;
import dev.switchyard.loadtest.target.RequestSampling;
import dev.switchyard.loadtest.workload.IntRange;
import dev.switchyard.loadtest.workload.WorkloadPlanner;
import dev.switchyard.proto.v1.SamplingParams;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The run's sampling reaches every request on both APIs: greedy by default with nothing else sent,
 * or the temperature and the filters asked for, and nothing for a filter left unset.
 */
class RequestSamplingTest {

    private static final RequestSampling TOP_K = new RequestSampling(0.7, 0.9, 40, 0.05);
    private static final RequestSampling TOP_P_ONLY = new RequestSampling(1.1, 0.5, null, null);

    @Test
    void openAiRequestsCarryTheSamplingAskedFor() throws Exception {
        try (FakeOpenAiServer server = new FakeOpenAiServer(n -> Reply.Stream.of(1, 2, 1, 2), false)) {
            JsonNode greedy = send(server, RequestSampling.GREEDY);
            assertThat(greedy.get("temperature").asDouble()).isZero();
            assertThat(greedy.has("top_p") || greedy.has("top_k") || greedy.has("min_p")).isFalse();

            JsonNode sampled = send(server, TOP_K);
            assertThat(sampled.get("temperature").asDouble()).isEqualTo(0.7);
            assertThat(sampled.get("top_p").asDouble()).isEqualTo(0.9);
            assertThat(sampled.get("top_k").asInt()).isEqualTo(40);
            assertThat(sampled.get("min_p").asDouble()).isEqualTo(0.05);
            assertThat(sampled.get("ignore_eos").asBoolean()).isTrue();

            JsonNode nucleus = send(server, TOP_P_ONLY);
            assertThat(nucleus.get("top_p").asDouble()).isEqualTo(0.5);
            assertThat(nucleus.has("top_k") || nucleus.has("min_p")).isFalse();
        }
    }

    private static JsonNode send(FakeOpenAiServer server, RequestSampling sampling) throws Exception {
        WorkloadPlanner.Plan plan = Drive.plan(Drive.spec(1, 0, IntRange.fixed(0)));
        try (OpenAiHttpTarget target = new OpenAiHttpTarget(server.url(), ApiKind.COMPLETIONS, 1)) {
            new LoadRunner(target, "fake-moe", sampling, 0, 30_000_000_000L).run(plan.measured(), new long[1],
                    Double.POSITIVE_INFINITY);
        }
        return server.lastGeneration();
    }

    @Test
    void requestsNameTheListedModelsInTurn() throws Exception {
        try (FakeOpenAiServer server = new FakeOpenAiServer(n -> Reply.Stream.of(1, 2, 1, 2), false)) {
            WorkloadPlanner.Plan plan = Drive.plan(Drive.spec(6, 0, IntRange.fixed(0)));
            try (OpenAiHttpTarget target = new OpenAiHttpTarget(server.url(), ApiKind.COMPLETIONS, 1)) {
                new LoadRunner(target, List.of("sql", "chat", "fake-moe"), RequestSampling.GREEDY, 1, 30_000_000_000L)
                        .run(plan.measured(), new long[6], Double.POSITIVE_INFINITY);
            }
            assertThat(server.generations()).extracting(body -> body.get("model").asText())
                    .containsExactly("sql", "chat", "fake-moe", "sql", "chat", "fake-moe");
        }
    }

    @Test
    void grpcRequestsCarryTheSamplingAskedFor() throws Exception {
        SamplingParams greedy = sendGrpc(RequestSampling.GREEDY);
        assertThat(greedy.getTemperature()).isZero();
        assertThat(greedy.hasTopP() || greedy.hasTopK() || greedy.hasMinP()).isFalse();

        SamplingParams sampled = sendGrpc(TOP_K);
        assertThat(sampled.getTemperature()).isEqualTo(0.7);
        assertThat(sampled.getTopP()).isEqualTo(0.9);
        assertThat(sampled.getTopK()).isEqualTo(40);
        assertThat(sampled.getMinP()).isEqualTo(0.05);
        assertThat(sampled.getIgnoreEos()).isTrue();

        SamplingParams nucleus = sendGrpc(TOP_P_ONLY);
        assertThat(nucleus.getTopP()).isEqualTo(0.5);
        assertThat(nucleus.hasTopK() || nucleus.hasMinP()).isFalse();
    }

    private static SamplingParams sendGrpc(RequestSampling sampling) throws Exception {
        try (FakeGrpcServer server = new FakeGrpcServer(1, List.of("a"))) {
            WorkloadPlanner.Plan plan = Drive.plan(Drive.spec(1, 0, IntRange.fixed(0)));
            try (GrpcTarget target = new GrpcTarget(server.host(), server.port(), 1, 1)) {
                new LoadRunner(target, "fake-moe", sampling, 0, 30_000_000_000L).run(plan.measured(), new long[1],
                        Double.POSITIVE_INFINITY);
            }
            return server.lastRequest().getSampling();
        }
    }
}
