package dev.switchyard.server.grpc;

import static dev.switchyard.server.grpc.GrpcApiTest.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.proto.v1.GenerateRequest;
import dev.switchyard.proto.v1.GenerateResponse;
import dev.switchyard.proto.v1.GenerationGrpc;
import dev.switchyard.proto.v1.GetModelInfoRequest;
import dev.switchyard.proto.v1.SamplingParams;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Keys, message limits, a full queue, draining and reflection, each on a server of its own. */
class GrpcLimitsTest {

    private static GenerateRequest request(String prompt, int maxTokens) {
        return GenerateRequest.newBuilder().setText(prompt).setSampling(SamplingParams.newBuilder()
                .setTemperature(0).setMaxTokens(maxTokens).setIgnoreEos(true)).build();
    }

    private static GrpcConfig config(int maxMessageBytes, String key) {
        GrpcConfig d = GrpcConfig.defaults("127.0.0.1", 0, key);
        return new GrpcConfig(d.host(), 0, maxMessageBytes, d.maxInboundMetadataBytes(),
                d.maxConcurrentCallsPerConnection(), d.keepAliveTime(), d.keepAliveTimeout(), d.permitKeepAliveTime(),
                d.maxConnectionAge(), d.maxConnectionAgeGrace(), d.apiKeys(), d.recorder());
    }

    @Test
    void aKeyIsRequiredExceptForHealthChecks() throws Exception {
        try (GrpcFixture server = new GrpcFixture(GrpcFixture.engine(2, 8), config(1 << 20, "sesame"))) {
            assertStatus(() -> server.blocking().getModelInfo(GetModelInfoRequest.getDefaultInstance()),
                    Status.Code.UNAUTHENTICATED, "missing API key");
            assertStatus(() -> withKey(server.blocking(), "Bearer wrong").getModelInfo(GetModelInfoRequest.getDefaultInstance()),
                    Status.Code.UNAUTHENTICATED, "invalid API key");
            assertThat(withKey(server.blocking(), "Bearer sesame").getModelInfo(GetModelInfoRequest.getDefaultInstance())
                    .getId()).isEqualTo("tiny");
            assertThat(HealthGrpc.newBlockingStub(server.channel).check(HealthCheckRequest.getDefaultInstance())
                    .getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        }
    }

    private static GenerationGrpc.GenerationBlockingStub withKey(GenerationGrpc.GenerationBlockingStub stub, String value) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), value);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    @Test
    void anOversizedMessageIsRefusedBeforeAnyWork() throws Exception {
        try (GrpcFixture server = new GrpcFixture(GrpcFixture.engine(2, 8), config(4096, null))) {
            assertStatus(() -> server.blocking().generate(request("word ".repeat(2000), 4)).forEachRemaining(r -> { }),
                    Status.Code.RESOURCE_EXHAUSTED, "");
            assertThat(server.blocking().generate(request("short", 2)).next().hasChunk()).isTrue();
        }
    }

    @Test
    void aFullQueueAnswersResourceExhausted() throws Exception {
        try (GrpcFixture server = new GrpcFixture(GrpcFixture.engine(1, 1), config(1 << 20, null))) {
            Iterator<GenerateResponse> running = server.blocking().generate(request("first", 200));
            assertThat(running.next().hasChunk()).isTrue(); // admitted: no longer queued
            Iterator<GenerateResponse> queued = server.blocking().generate(request("second", 2));
            awaitWaiting(server, 1);
            assertStatus(() -> server.blocking().generate(request("third", 2)).forEachRemaining(r -> { }),
                    Status.Code.RESOURCE_EXHAUSTED, "overloaded");
            server.blocking().abort(dev.switchyard.proto.v1.AbortRequest.getDefaultInstance()); // unknown id: harmless
            running.forEachRemaining(r -> { });
            queued.forEachRemaining(r -> { });
        }
    }

    private static void awaitWaiting(GrpcFixture server, int waiting) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (server.served.waiting() < waiting) {
            if (System.nanoTime() > end) {
                throw new AssertionError("the second request never queued");
            }
            Thread.sleep(5);
        }
    }

    @Test
    void drainingFlipsHealthAndRefusesNewCallsWhileRunningOnesFinish() throws Exception {
        try (GrpcFixture server = new GrpcFixture(GrpcFixture.engine(2, 8), config(1 << 20, null))) {
            Iterator<GenerateResponse> running = server.blocking().generate(request("in flight", 30));
            assertThat(running.next().hasChunk()).isTrue();
            server.grpc.serving(false);
            server.health.draining();
            assertThat(HealthGrpc.newBlockingStub(server.channel).check(HealthCheckRequest.getDefaultInstance())
                    .getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.NOT_SERVING);
            assertStatus(() -> server.blocking().generate(request("late", 2)).forEachRemaining(r -> { }),
                    Status.Code.UNAVAILABLE, "shutting down");
            assertThat(server.served.drain(Duration.ofSeconds(30))).isTrue();
            GenerateResponse last = null;
            while (running.hasNext()) {
                last = running.next();
            }
            assertThat(last.getComplete().getUsage().getCompletionTokens()).isEqualTo(30);
        }
    }

    @Test
    void reflectionListsTheGenerationService() throws Exception {
        try (GrpcFixture server = new GrpcFixture(GrpcFixture.engine(1, 8), config(1 << 20, null))) {
            CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
            StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(server.channel)
                    .serverReflectionInfo(new StreamObserver<>() {
                        @Override
                        public void onNext(ServerReflectionResponse value) {
                            answer.complete(value);
                        }

                        @Override
                        public void onError(Throwable t) {
                            answer.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {
                        }
                    });
            requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
            ServerReflectionResponse response = answer.get(10, TimeUnit.SECONDS);
            requests.onCompleted();
            assertThat(response.getListServicesResponse().getServiceList())
                    .extracting(s -> s.getName()).contains("switchyard.v1.Generation", "grpc.health.v1.Health");
        }
    }
}
