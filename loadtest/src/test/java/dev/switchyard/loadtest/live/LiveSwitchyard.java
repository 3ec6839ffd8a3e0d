package dev.switchyard.loadtest.live;

import dev.switchyard.engine.forward.ExpertOffload;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.modelgen.ModelPreset;
import dev.switchyard.engine.modelgen.ModelSpec;
import dev.switchyard.engine.modelgen.RandomLoraGenerator;
import dev.switchyard.engine.modelgen.RandomModelGenerator;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import dev.switchyard.server.grpc.GenerationService;
import dev.switchyard.server.grpc.GrpcConfig;
import dev.switchyard.server.grpc.GrpcServer;
import dev.switchyard.server.http.HttpServer;
import dev.switchyard.server.http.HttpServerConfig;
import dev.switchyard.server.http.HttpTransport;
import dev.switchyard.server.openai.ApiLimits;
import dev.switchyard.server.serving.AdapterSpec;
import dev.switchyard.server.serving.EngineConfig;
import dev.switchyard.server.serving.ServedModel;
import dev.switchyard.server.serving.ServerHealth;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real Switchyard on loopback, as {@code serve} runs it: one served model (a tiny generated Mixtral,
 * 2 layers, context 256, the same one the server's own tests use) behind the HTTP and the gRPC server,
 * over one {@link ServerHealth}.
 */
public final class LiveSwitchyard implements AutoCloseable {

    public static final String MODEL_NAME = "tiny";

    private final Path dir;
    private final ServerHealth health = new ServerHealth();
    private final ServedModel served;
    private final HttpServer http;
    private final GenerationService generation = new GenerationService(health, "test", ApiLimits.defaults());
    private final GrpcServer grpc;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private LiveSwitchyard(Path dir, int maxSeqs, ExpertOffload offload, List<String> adapters)
            throws IOException, InterruptedException {
        this(dir, maxSeqs, offload, adapters, null);
    }

    private LiveSwitchyard(Path dir, int maxSeqs, ExpertOffload offload, List<String> adapters, String apiKey)
            throws IOException, InterruptedException {
        this.dir = dir;
        Path model = dir.resolve("tiny-mixtral.gguf");
        RandomModelGenerator.write(new ModelSpec(GeneratedArchitecture.MIXTRAL, ModelPreset.TINY, 2, null, null,
                null, null, null, null, 256, GgmlType.Q8_0, 11, null), model);
        List<AdapterSpec> served = new java.util.ArrayList<>();
        try (GgufFile base = GgufFile.open(model)) {
            for (int i = 0; i < adapters.size(); i++) {
                Path file = dir.resolve(adapters.get(i) + ".gguf");
                RandomLoraGenerator.write(base, new RandomLoraGenerator.LoraSpec(8, 16, RandomLoraGenerator.ATTENTION,
                        GgmlType.F16, i + 1, 0.5), file);
                served.add(new AdapterSpec(adapters.get(i), file, 0f));
            }
        }
        DispatchConfig dispatch = DispatchConfig.defaults(true);
        // KV memory 0: room for every sequence's whole context, so no preemption muddles the figures.
        this.served = ServedModel.open(model, MODEL_NAME, new EngineConfig(1, maxSeqs,
                EngineConfig.defaultBatchTokens(maxSeqs, dispatch), 0, 64, Duration.ZERO, dispatch).withAdapters(served),
                new CpuBackend(1), offload);
        http = new HttpServer(HttpServerConfig.loopback(0).withApiKey(apiKey), health, HttpTransport.nio());
        http.start();
        grpc = GrpcServer.start(GrpcConfig.defaults("127.0.0.1", 0, apiKey), generation);
        health.ready(this.served);
        grpc.serving(true);
    }

    /** Writes the model into a fresh temporary folder and starts both servers; at most {@code maxSeqs} run at once. */
    public static LiveSwitchyard start(int maxSeqs) throws IOException, InterruptedException {
        return start(maxSeqs, null);
    }

    /** As {@link #start(int)}, with the routed experts offloaded as {@code offload} says (null: in place). */
    public static LiveSwitchyard start(int maxSeqs, ExpertOffload offload) throws IOException, InterruptedException {
        return new LiveSwitchyard(Files.createTempDirectory("switchyard-loadtest-live"), maxSeqs, offload, List.of());
    }

    /** As {@link #start(int)}, both APIs requiring {@code apiKey}. */
    public static LiveSwitchyard withApiKey(int maxSeqs, String apiKey) throws IOException, InterruptedException {
        return new LiveSwitchyard(Files.createTempDirectory("switchyard-loadtest-live"), maxSeqs, null, List.of(), apiKey);
    }

    /** As {@link #start(int)}, serving random LoRA adapters of these names (applied only when named). */
    public static LiveSwitchyard withAdapters(int maxSeqs, List<String> adapters) throws IOException, InterruptedException {
        return new LiveSwitchyard(Files.createTempDirectory("switchyard-loadtest-live"), maxSeqs, null, adapters);
    }

    public URI httpUrl() {
        return URI.create("http://127.0.0.1:" + http.port());
    }

    public URI metricsUrl() {
        return URI.create(httpUrl() + "/metrics");
    }

    public String grpcAddress() {
        return "127.0.0.1:" + grpc.port();
    }

    /** Fraction of KV blocks in use, as the scheduler reports it. */
    public double kvUsage() {
        return served.kvUsage();
    }

    public int running() {
        return served.running();
    }

    /** One series of {@code /metrics} summed over its label sets, e.g. {@code switchyard_kv_usage_ratio}. */
    public double metric(String name) throws IOException, InterruptedException {
        return metric(name, "");
    }

    /** As above, over the series whose labels begin with {@code labels} (e.g. {@code adapter="sql"}). */
    public double metric(String name, String labels) throws IOException, InterruptedException {
        String page = client.send(HttpRequest.newBuilder(metricsUrl()).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
        double sum = 0;
        boolean found = false;
        for (String line : page.split("\n")) {
            if (line.startsWith(name + "{" + labels) || labels.isEmpty() && line.startsWith(name + " ")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                found = true;
            }
        }
        if (!found) {
            throw new AssertionError("no metric " + name + " on " + metricsUrl());
        }
        return sum;
    }

    @Override
    public void close() throws Exception {
        served.close(); // first, so that no more events reach the closing servers
        grpc.close();
        generation.close();
        http.close();
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(dir);
    }
}
