package dev.switchyard.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.proto.v1.GenerateRequest;
import dev.switchyard.proto.v1.GenerateResponse;
import dev.switchyard.proto.v1.GenerationGrpc;
import dev.switchyard.proto.v1.SamplingParams;
import dev.switchyard.server.accesslog.AccessLog;
import dev.switchyard.server.accesslog.LoggedLines;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Request ids and the access log over gRPC: a call's id (its {@code x-request-id} metadata, or the
 * Generate request's own {@code request_id}) comes back in the response headers and names its line,
 * which has the call's status and, for a generation, its model, tokens and time to first token.
 */
class GrpcAccessLogTest {

    private static final Metadata.Key<String> REQUEST_ID = Metadata.Key.of("x-request-id",
            Metadata.ASCII_STRING_MARSHALLER);


    @Test
    void aCallsIdComesBackAndNamesItsLine() throws Exception {
        StringWriter lines = new StringWriter();
        try (AccessLog log = AccessLog.to(lines);
             GrpcFixture server = new GrpcFixture(GrpcFixture.engine(8, 64),
                     GrpcConfig.defaults("127.0.0.1", 0, null).withRecorder(log))) {
            Metadata sent = new Metadata();
            sent.put(REQUEST_ID, "grpc-eval-3");
            AtomicReference<Metadata> headers = new AtomicReference<>();
            var stub = server.blocking().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(sent),
                    MetadataUtils.newCaptureMetadataInterceptor(headers, new AtomicReference<>()));
            List<GenerateResponse> all = new ArrayList<>();
            stub.generate(GenerateRequest.newBuilder().setText("Once upon").setSampling(SamplingParams.newBuilder()
                    .setTemperature(0).setMaxTokens(5).setIgnoreEos(true)).build()).forEachRemaining(all::add);
            assertThat(headers.get().get(REQUEST_ID)).isEqualTo("grpc-eval-3");
            assertThat(all).allSatisfy(r -> assertThat(r.getRequestId()).as("the messages carry the call's id")
                    .isEqualTo("grpc-eval-3"));
            JsonNode line = LoggedLines.lineOf(lines, "grpc-eval-3");
            assertThat(line.get("protocol").asText()).isEqualTo("grpc");
            assertThat(line.get("method").asText()).isEqualTo("switchyard.v1.Generation/Generate");
            assertThat(line.get("grpc_status").asText()).isEqualTo("OK");
            assertThat(line.get("model").asText()).isEqualTo("tiny");
            assertThat(line.get("stream").asBoolean()).isTrue();
            assertThat(line.get("completion_tokens").asInt()).isEqualTo(5);
            assertThat(line.get("prompt_tokens").asInt())
                    .isEqualTo(all.getLast().getComplete().getUsage().getPromptTokens());
            assertThat(line.get("ttft_ms").asDouble()).isPositive();
            assertThat(line.get("queue_ms").asDouble()).isPositive().isLessThanOrEqualTo(line.get("ttft_ms").asDouble());

            // a request's own request_id wins over the metadata's
            server.blocking().generate(GenerateRequest.newBuilder().setRequestId("own-id").setText("Hi").setUnary(true)
                    .setSampling(SamplingParams.newBuilder().setMaxTokens(2).setIgnoreEos(true)).build())
                    .forEachRemaining(r -> { });
            assertThat(LoggedLines.lineOf(lines, "own-id").get("stream").asBoolean()).isFalse();

            Metadata other = new Metadata();
            other.put(REQUEST_ID, "grpc-refused");
            var refusing = server.blocking().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(other));
            assertThatThrownBy(() -> refusing.generate(GenerateRequest.newBuilder().setText("x")
                    .setSampling(SamplingParams.newBuilder().setTopP(7)).build()).forEachRemaining(r -> { }))
                    .isInstanceOf(StatusRuntimeException.class);
            JsonNode refused = LoggedLines.lineOf(lines, "grpc-refused");
            assertThat(refused.get("grpc_status").asText()).isEqualTo("INVALID_ARGUMENT");
            assertThat(refused.has("model")).isFalse();
        }
    }

    @Test
    void aCallIsNamedByTheKeyItPresents(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("keys"), "alice sk-alice\n");
        StringWriter lines = new StringWriter();
        Metadata.Key<String> authorization = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
        try (AccessLog log = AccessLog.to(lines);
             GrpcFixture server = new GrpcFixture(GrpcFixture.engine(8, 64), GrpcConfig.defaults("127.0.0.1", 0, null)
                     .withApiKeys(dev.switchyard.server.serving.ApiKeys.from(null, file)).withRecorder(log))) {
            Metadata alice = new Metadata();
            alice.put(authorization, "Bearer sk-alice");
            alice.put(REQUEST_ID, "from-alice");
            server.blocking().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(alice))
                    .generate(GenerateRequest.newBuilder().setText("Hi").setUnary(true).setSampling(SamplingParams
                            .newBuilder().setMaxTokens(2).setIgnoreEos(true)).build()).forEachRemaining(r -> { });
            assertThat(LoggedLines.lineOf(lines, "from-alice").get("api_key").asText()).isEqualTo("alice");

            Metadata wrong = new Metadata();
            wrong.put(authorization, "Bearer sk-mallory");
            wrong.put(REQUEST_ID, "from-mallory");
            assertThatThrownBy(() -> server.blocking().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(wrong))
                    .generate(GenerateRequest.newBuilder().setText("Hi").build()).forEachRemaining(r -> { }))
                    .isInstanceOf(StatusRuntimeException.class).hasMessageContaining("UNAUTHENTICATED");
            JsonNode refused = LoggedLines.lineOf(lines, "from-mallory");
            assertThat(refused.get("grpc_status").asText()).isEqualTo("UNAUTHENTICATED");
            assertThat(refused.has("api_key")).isFalse();
        }
    }

    @Test
    void aCallRunsAtItsKeysPriorityLevelAndItsLineSaysSo(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("keys"), "alice sk-alice priority=10\n");
        StringWriter lines = new StringWriter();
        Metadata.Key<String> authorization = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
        var dispatch = dev.switchyard.engine.moe.DispatchConfig.defaults(true);
        var byPriority = new dev.switchyard.server.serving.EngineConfig(1, 8,
                dev.switchyard.server.serving.EngineConfig.defaultBatchTokens(8, dispatch), 0, 64, java.time.Duration.ZERO,
                dispatch, dev.switchyard.server.serving.ReasoningFormat.AUTO, true, dev.switchyard.kernels.KvCacheType.F16,
                dev.switchyard.engine.schedule.Speculation.NONE, true);
        try (AccessLog log = AccessLog.to(lines);
             GrpcFixture server = new GrpcFixture(byPriority, GrpcConfig.defaults("127.0.0.1", 0, null)
                     .withApiKeys(dev.switchyard.server.serving.ApiKeys.from(null, file).schedulingByPriority(true))
                     .withRecorder(log))) {
            for (int asked : new int[] {-3, 4}) {
                Metadata alice = new Metadata();
                alice.put(authorization, "Bearer sk-alice");
                alice.put(REQUEST_ID, "alice-" + asked);
                server.blocking().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(alice))
                        .generate(GenerateRequest.newBuilder().setText("Hi").setUnary(true).setPriority(asked)
                                .setSampling(SamplingParams.newBuilder().setMaxTokens(1)).build())
                        .forEachRemaining(r -> { });
            }
            assertThat(LoggedLines.lineOf(lines, "alice--3").get("priority").asInt()).as("never ahead of her level")
                    .isEqualTo(10);
            assertThat(LoggedLines.lineOf(lines, "alice-4").get("priority").asInt()).isEqualTo(14);
        }
    }

    @Test
    void scopedByKeyACallReusesOnlyItsOwnKeysCachedBlocks(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("keys"), "alice sk-alice\nbob sk-bob\n");
        Metadata.Key<String> authorization = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
        try (GrpcFixture server = new GrpcFixture(GrpcFixture.engine(8, 64), GrpcConfig.defaults("127.0.0.1", 0, null)
                .withApiKeys(dev.switchyard.server.serving.ApiKeys.from(null, file).isolatingPrefixCache(true)))) {
            GenerateRequest request = GenerateRequest.newBuilder().setUnary(true)
                    .setText("Each tenant's trains run on tracks of their own in this yard. ".repeat(5))
                    .setSampling(SamplingParams.newBuilder().setMaxTokens(2).setTemperature(0)).build();
            java.util.function.Function<String, Integer> cached = key -> {
                Metadata m = new Metadata();
                m.put(authorization, "Bearer " + key);
                return server.blocking().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(m)).generate(request)
                        .next().getComplete().getUsage().getCachedTokens();
            };
            assertThat(cached.apply("sk-alice")).isZero();
            assertThat(cached.apply("sk-alice")).as("alice's own blocks").isPositive();
            assertThat(cached.apply("sk-bob")).as("not alice's").isZero();
            assertThat(cached.apply("sk-bob")).as("bob's own").isPositive();
        }
    }

    /**
     * Starts a streamed generation up to the model's context (less 8) with {@code attach}'s metadata
     * and returns, once {@code messages} of it have come, the context that cancels it.
     */
    private static io.grpc.Context.CancellableContext streamingLong(GrpcFixture server, io.grpc.ClientInterceptor attach,
                                                                   int longest, int messages) throws InterruptedException {
        java.util.concurrent.CountDownLatch streaming = new java.util.concurrent.CountDownLatch(messages);
        io.grpc.Context.CancellableContext call = io.grpc.Context.current().withCancellation();
        call.run(() -> GenerationGrpc.newStub(server.channel).withInterceptors(attach)
                .generate(GenerateRequest.newBuilder().setText("Once").setSampling(SamplingParams.newBuilder()
                        .setMaxTokens(longest - 8).setIgnoreEos(true)).build(), new io.grpc.stub.StreamObserver<>() {
                            @Override
                            public void onNext(GenerateResponse r) {
                                streaming.countDown();
                            }

                            @Override
                            public void onError(Throwable t) {
                            }

                            @Override
                            public void onCompleted() {
                            }
                        }));
        assertThat(streaming.await(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        return call;
    }

    @Test
    void aCallCancelledMidGenerationIsLoggedWithWhatItComputed() throws Exception {
        StringWriter lines = new StringWriter();
        try (AccessLog log = AccessLog.to(lines);
             GrpcFixture server = new GrpcFixture(GrpcFixture.engine(8, 64),
                     GrpcConfig.defaults("127.0.0.1", 0, null).withRecorder(log))) {
            int longest = server.blocking().getModelInfo(dev.switchyard.proto.v1.GetModelInfoRequest.getDefaultInstance())
                    .getMaxSequenceTokens();
            Metadata sent = new Metadata();
            sent.put(REQUEST_ID, "grpc-leaver");
            io.grpc.Context.CancellableContext call = streamingLong(server, MetadataUtils.newAttachHeadersInterceptor(sent),
                    longest, 3);
            call.cancel(null); // the client leaves mid-generation
            JsonNode line = LoggedLines.lineOf(lines, "grpc-leaver");
            assertThat(line.get("outcome").asText()).isEqualTo("disconnected");
            assertThat(line.get("grpc_status").asText()).isEqualTo("CANCELLED");
            assertThat(line.get("prompt_tokens").asInt()).as("what was computed before it left").isPositive();
            assertThat(line.get("completion_tokens").asInt()).isGreaterThanOrEqualTo(2).isLessThan(longest - 8);
        }
    }

    @Test
    void aKeyWithABoundGetsResourceExhaustedPastIt(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("keys"), "alice sk-alice concurrency=1\n");
        Metadata.Key<String> authorization = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
        Metadata alice = new Metadata();
        alice.put(authorization, "Bearer sk-alice");
        try (GrpcFixture server = new GrpcFixture(GrpcFixture.engine(8, 64), GrpcConfig.defaults("127.0.0.1", 0, null)
                .withApiKeys(dev.switchyard.server.serving.ApiKeys.from(null, file)))) {
            var attach = MetadataUtils.newAttachHeadersInterceptor(alice);
            int longest = server.blocking().withInterceptors(attach).getModelInfo(
                    dev.switchyard.proto.v1.GetModelInfoRequest.getDefaultInstance()).getMaxSequenceTokens();
            io.grpc.Context.CancellableContext first = streamingLong(server, attach, longest, 1);
            var blocking = server.blocking().withInterceptors(attach);
            GenerateRequest small = GenerateRequest.newBuilder().setText("Hi").setUnary(true)
                    .setSampling(SamplingParams.newBuilder().setMaxTokens(2).setIgnoreEos(true)).build();
            assertThatThrownBy(() -> blocking.generate(small).forEachRemaining(r -> { }))
                    .isInstanceOf(StatusRuntimeException.class).hasMessageContaining("RESOURCE_EXHAUSTED")
                    .hasMessageContaining("alice");
            first.cancel(null); // the client leaves: its place is free again
            boolean answered = false;
            for (int i = 0; i < 200 && !answered; i++) {
                try {
                    blocking.generate(small).forEachRemaining(r -> { });
                    answered = true;
                } catch (StatusRuntimeException e) {
                    Thread.sleep(25);
                }
            }
            assertThat(answered).isTrue();
        }
    }

    @Test
    void aCallPastItsKeysPerMinuteLimitsGetsResourceExhaustedWithRetryAfter(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("keys"),
                "alice sk-alice requests_per_minute=1\nbob sk-bob tokens_per_minute=5\ncarol sk-carol\n");
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(0);
        Metadata.Key<String> authorization = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
        StringWriter lines = new StringWriter();
        GrpcFixture[] started = new GrpcFixture[1];
        dev.switchyard.server.accesslog.KeyUsage usage = new dev.switchyard.server.accesslog.KeyUsage(true,
                () -> started[0] == null ? null : started[0].served.metrics());
        try (AccessLog log = AccessLog.to(lines);
             GrpcFixture server = new GrpcFixture(GrpcFixture.engine(8, 64), GrpcConfig.defaults("127.0.0.1", 0, null)
                     .withApiKeys(dev.switchyard.server.serving.ApiKeys.from(null, file, now::get))
                     .withRecorder(dev.switchyard.server.accesslog.RequestRecorder.of(List.of(usage, log))))) {
            started[0] = server;
            GenerateRequest small = GenerateRequest.newBuilder().setText("Once upon").setUnary(true)
                    .setSampling(SamplingParams.newBuilder().setMaxTokens(4).setIgnoreEos(true)).build();
            java.util.function.BiFunction<String, String, GenerationGrpc.GenerationBlockingStub> as = (key, id) -> {
                Metadata m = new Metadata();
                m.put(authorization, "Bearer " + key);
                m.put(REQUEST_ID, id);
                return server.blocking().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(m));
            };

            as.apply("sk-alice", "a1").generate(small).forEachRemaining(r -> { });
            StatusRuntimeException requests = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                    () -> as.apply("sk-alice", "a2").generate(small).forEachRemaining(r -> { }));
            assertThat(requests.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.RESOURCE_EXHAUSTED);
            assertThat(requests.getStatus().getDescription()).isEqualTo(
                    "the API key 'alice' is over its limit of 1 requests per minute; retry after 1m0s");
            assertThat(requests.getTrailers().get(ApiKeyInterceptor.RETRY_AFTER)).isEqualTo("60");
            assertThat(requests.getTrailers().get(ApiKeyInterceptor.RETRY_AFTER_MS)).isEqualTo("60000");
            assertThat(LoggedLines.lineOf(lines, "a2").get("grpc_status").asText()).isEqualTo("RESOURCE_EXHAUSTED");
            as.apply("sk-carol", "c1").generate(small).forEachRemaining(r -> { }); // another key goes on

            // bob's first call uses more than his budget: answered, and his next refused until it is paid back
            List<GenerateResponse> all = new ArrayList<>();
            as.apply("sk-bob", "b1").generate(small).forEachRemaining(all::add);
            var used = all.getLast().getComplete().getUsage();
            long owed = used.getPromptTokens() + used.getCompletionTokens() - 5L;
            assertThat(owed).isPositive();
            StatusRuntimeException tokens = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                    () -> as.apply("sk-bob", "b2").generate(small).forEachRemaining(r -> { }));
            assertThat(tokens.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.RESOURCE_EXHAUSTED);
            assertThat(tokens.getStatus().getDescription()).contains("'bob'").contains("5 tokens per minute");
            assertThat(tokens.getTrailers().get(ApiKeyInterceptor.RETRY_AFTER)).as("owed at 5 a minute: 12 s each")
                    .isEqualTo(Long.toString(owed * 12));
            now.addAndGet(owed * 12_000_000_000L);
            as.apply("sk-bob", "b3").generate(small).forEachRemaining(r -> { });

            String scrape = "";
            for (int i = 0; i < 200 && !scrape.contains("rate_limited_tokens"); i++) {
                Thread.sleep(25);
                scrape = server.served.metrics().scrape();
            }
            assertThat(scrape).contains("switchyard_api_key_requests_total{api_key=\"alice\",model=\"tiny\","
                    + "outcome=\"rate_limited_requests\"} 1.0")
                    .contains("switchyard_api_key_requests_total{api_key=\"bob\",model=\"tiny\","
                            + "outcome=\"rate_limited_tokens\"} 1.0");
        }
    }
}
