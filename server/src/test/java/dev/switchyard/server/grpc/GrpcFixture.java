package dev.switchyard.server.grpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.proto.v1.ChatMessage;
import dev.switchyard.proto.v1.ChatMessages;
import dev.switchyard.proto.v1.GenerateRequest;
import dev.switchyard.proto.v1.GenerationGrpc;
import dev.switchyard.server.TinyModelFile;
import dev.switchyard.server.http.HttpServer;
import dev.switchyard.server.http.HttpServerConfig;
import dev.switchyard.server.http.HttpTransport;
import dev.switchyard.server.openai.ApiLimits;
import dev.switchyard.server.serving.EngineConfig;
import dev.switchyard.server.serving.ServedModel;
import dev.switchyard.server.serving.ServerHealth;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC server and the HTTP server side by side over one tiny served model, as {@code serve} runs
 * them, with a real channel and a real HTTP client.
 */
final class GrpcFixture implements AutoCloseable {

    static final String MODEL_NAME = "tiny";
    static final ObjectMapper JSON = new ObjectMapper();

    final ServerHealth health = new ServerHealth();
    final ServedModel served;
    final GrpcServer grpc;
    final GenerationService generation = new GenerationService(health, "test", ApiLimits.defaults());
    final HttpServer http;
    final ManagedChannel channel;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** {@code config} should listen on 127.0.0.1, port 0. */
    GrpcFixture(EngineConfig engine, GrpcConfig config) throws Exception {
        this(TinyModelFile.path(), engine, config);
    }

    /** A server of {@code model}, served as "tiny". */
    GrpcFixture(Path model, EngineConfig engine, GrpcConfig config) throws Exception {
        served = ServedModel.open(model, MODEL_NAME, engine);
        http = new HttpServer(HttpServerConfig.loopback(0), health, HttpTransport.nio());
        http.start();
        grpc = GrpcServer.start(config, generation);
        health.ready(served);
        grpc.serving(true);
        channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
    }

    static GrpcFixture start() throws Exception {
        return start(TinyModelFile.path());
    }

    /** A server of {@code model} with the default limits. */
    static GrpcFixture start(Path model) throws Exception {
        return new GrpcFixture(model, engine(8, 64), GrpcConfig.defaults("127.0.0.1", 0, null));
    }

    /** A chat request of one user message. */
    static GenerateRequest.Builder userChat(String content) {
        return GenerateRequest.newBuilder().setMessages(ChatMessages.newBuilder()
                .addMessages(ChatMessage.newBuilder().setRole("user").setContent(content)));
    }

    static EngineConfig engine(int maxSeqs, int maxQueue) {
        DispatchConfig dispatch = DispatchConfig.defaults(true);
        return new EngineConfig(1, maxSeqs, EngineConfig.defaultBatchTokens(maxSeqs, dispatch), 0, maxQueue,
                Duration.ZERO, dispatch);
    }

    GenerationGrpc.GenerationBlockingStub blocking() {
        return GenerationGrpc.newBlockingStub(channel);
    }

    /** POSTs JSON to the HTTP API and returns the parsed 200 body. */
    JsonNode httpPost(String path, String body) {
        try {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new AssertionError("HTTP " + r.statusCode() + ": " + r.body());
            }
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Waits until every KV block is free again (a cancelled request frees its blocks at the next step). */
    void awaitKvEmpty() throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (served.kvUsage() > 0 || served.running() > 0) {
            if (System.nanoTime() > end) {
                throw new AssertionError("KV usage stayed at " + served.kvUsage());
            }
            Thread.sleep(10);
        }
    }

    @Override
    public void close() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        served.close();
        grpc.close();
        generation.close();
        http.close();
    }
}
