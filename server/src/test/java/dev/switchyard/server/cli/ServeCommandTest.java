package dev.switchyard.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.kernels.KvCacheType;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code switchyard serve} as a real process: the demo model by default, environment twins, SIGTERM drain. */
class ServeCommandTest {

    private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");

    @Test
    void refusesBatchScopeWithoutTheOptIn() {
        CliRun run = CliRun.of("serve", "--capacity-scope", "batch", "--overflow", "drop", "--port", "0");
        assertThat(run.exitCode()).isEqualTo(CliErrors.BAD_INPUT);
        assertThat(run.err()).contains("--allow-cross-request-capacity");
    }

    @Test
    void aPrefixCacheScopedByKeyNeedsKeys() {
        CliRun unknown = CliRun.of("serve", "--prefix-cache-scope", "tenant", "--port", "0", "--grpc-port", "0");
        assertThat(unknown.exitCode()).isEqualTo(CliErrors.BAD_INPUT);
        assertThat(unknown.err()).contains("--prefix-cache-scope must be shared or key");
        CliRun keyless = CliRun.of("serve", "--prefix-cache-scope", "key", "--port", "0", "--grpc-port", "0");
        assertThat(keyless.exitCode()).isEqualTo(CliErrors.BAD_INPUT);
        assertThat(keyless.err()).contains("--prefix-cache-scope key", "--api-key-file");
        ServeCommand command = new ServeCommand();
        new picocli.CommandLine(command).setDefaultValueProvider(
                new EnvironmentDefaults(Map.of("SWITCHYARD_PREFIX_CACHE_SCOPE", "key")::get)).parseArgs();
        assertThat(command.prefixCacheScope).as("set by its environment twin").isEqualTo("key");
    }

    @Test
    void aKeysPriorityNeedsTheServerToScheduleByPriority(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path keys = java.nio.file.Files.writeString(dir.resolve("keys"), "a sk-a\nb sk-b priority=-3\n");
        CliRun run = CliRun.of("serve", "--api-key-file", keys.toString(), "--port", "0", "--grpc-port", "0");
        assertThat(run.exitCode()).isEqualTo(CliErrors.BAD_INPUT);
        assertThat(run.err()).contains("'b' sets priority=-3", "--scheduling-policy priority")
                .doesNotContain("Exception");
    }

    @Test
    void refusesAReasoningFormatOtherThanAutoOrNone() {
        CliRun run = CliRun.of("serve", "--reasoning-format", "deepseek", "--port", "0");
        assertThat(run.exitCode()).isEqualTo(CliErrors.BAD_INPUT);
        assertThat(run.err()).contains("--reasoning-format must be auto or none");
        ServeCommand command = new ServeCommand();
        new picocli.CommandLine(command).setDefaultValueProvider(
                new EnvironmentDefaults(Map.of("SWITCHYARD_REASONING_FORMAT", "none")::get)).parseArgs();
        assertThat(command.reasoningFormat).as("set by its environment twin").isEqualTo("none");
    }

    @Test
    void poolingAndTheDraftModelHaveEnvironmentTwinsAndBadValuesAreUsageErrors() {
        ServeCommand command = new ServeCommand();
        new picocli.CommandLine(command).setDefaultValueProvider(new EnvironmentDefaults(Map.of(
                "SWITCHYARD_POOLING", "mean", "SWITCHYARD_DRAFT_MODEL", "draft.gguf", "SWITCHYARD_DRAFT_P_MIN", "0.5")::get))
                .parseArgs();
        assertThat(command.pooling).isEqualTo("mean");
        assertThat(command.speculation.draftModel).hasToString("draft.gguf");
        assertThat(command.speculation.draftMinProbability).isEqualTo(0.5);
        assertThat(command.speculation.speculation().draftTokens()).as("a draft's default").isEqualTo(4);
        assertThat(ServeCommand.origins(List.of("[\"https://a.example\"", " \"https://b.example\"]")))
                .as("vLLM's JSON spelling").containsExactly("https://a.example", "https://b.example");
        ServeCommand origins = new ServeCommand();
        new picocli.CommandLine(origins).setDefaultValueProvider(new EnvironmentDefaults(Map.of(
                "SWITCHYARD_ALLOWED_ORIGINS", "https://a.example,https://b.example")::get)).parseArgs();
        assertThat(origins.allowedOrigins).containsExactly("https://a.example", "https://b.example");
        CliRun run = CliRun.of("serve", "--pooling", "max", "--port", "0", "--grpc-port", "0");
        assertThat(run.exitCode()).isEqualTo(CliErrors.BAD_INPUT);
        assertThat(run.err()).contains("--pooling: pooling must be mean, cls or last");
        assertThat(run.out()).doesNotContain("listening");
    }

    @Test
    void everyOptionHasAnEnvironmentTwin() {
        assertThat(EnvironmentDefaults.variableFor("--max-batch-tokens")).isEqualTo("SWITCHYARD_MAX_BATCH_TOKENS");
        Map<String, String> env = Map.of("SWITCHYARD_PORT", "9999", "SWITCHYARD_KV_MEMORY", "512MiB",
                "SWITCHYARD_ALLOW_CROSS_REQUEST_CAPACITY", "true");
        ServeCommand command = new ServeCommand();
        picocli.CommandLine cli = new picocli.CommandLine(command)
                .setDefaultValueProvider(new EnvironmentDefaults(env::get));
        cli.parseArgs("--port", "7000");
        assertThat(command.port).as("the flag wins").isEqualTo(7000);
        assertThat(command.kvMemory).isEqualTo(512L << 20);
        assertThat(command.dispatch.allowCrossRequest).isTrue();
        assertThat(command.host).as("no variable: the built-in default").isEqualTo("127.0.0.1");
    }

    @Test
    void theFilesFlagsHaveEnvironmentTwinsAndBadOnesAreRefusedNamingTheFlag(@TempDir Path dir) throws Exception {
        ServeCommand command = new ServeCommand();
        new picocli.CommandLine(command).setDefaultValueProvider(new EnvironmentDefaults(Map.of(
                "SWITCHYARD_FILES_DIR", dir.toString(), "SWITCHYARD_FILES_SPACE", "10GiB")::get)).parseArgs();
        assertThat(command.filesDir).isEqualTo(dir);
        assertThat(command.filesSpace).isEqualTo(10L << 30);

        CliRun none = CliRun.of("serve", "--files-space", "0", "--port", "0", "--grpc-port", "0");
        assertThat(none.exitCode()).isEqualTo(CliErrors.BAD_INPUT);
        assertThat(none.err()).contains("--files-space must be positive");
        Path notADirectory = java.nio.file.Files.writeString(dir.resolve("plain"), "x");
        CliRun file = CliRun.of("serve", "--files-dir", notADirectory.toString(), "--port", "0", "--grpc-port", "0");
        assertThat(file.exitCode()).isEqualTo(CliErrors.BAD_INPUT);
        assertThat(file.err()).contains("--files-dir " + notADirectory);
        try (var taken = dev.switchyard.server.batch.FileStore.in(dir.resolve("taken"), 1 << 20)) {
            CliRun shared = CliRun.of("serve", "--files-dir", dir.resolve("taken").toString(), "--port", "0",
                    "--grpc-port", "0");
            assertThat(shared.exitCode()).isEqualTo(CliErrors.BAD_INPUT);
            assertThat(shared.err()).contains("--files-dir " + dir.resolve("taken")).contains("in use by another server");
        }
    }

    @Test
    void theAccessLogAndTracesFlagsHaveEnvironmentTwinsAndBadValuesAreRefusedNamingThem(@TempDir Path dir)
            throws Exception {
        ServeCommand command = new ServeCommand();
        new picocli.CommandLine(command).setDefaultValueProvider(new EnvironmentDefaults(Map.of(
                "SWITCHYARD_ACCESS_LOG", "stdout")::get)).parseArgs();
        assertThat(command.accessLog).isEqualTo("stdout");
        assertThat(new ServeCommand()).satisfies(c -> {
            new picocli.CommandLine(c).parseArgs();
            assertThat(c.accessLog).isEqualTo("off");
        });
        Path file = java.nio.file.Files.writeString(dir.resolve("plain"), "x");
        CliRun refused = CliRun.of("serve", "--access-log", file.resolve("access.jsonl").toString(), "--port", "0",
                "--grpc-port", "0");
        assertThat(refused.exitCode()).isEqualTo(CliErrors.BAD_INPUT);
        assertThat(refused.err()).contains("--access-log " + file.resolve("access.jsonl"));

        ServeCommand traced = new ServeCommand();
        new picocli.CommandLine(traced).setDefaultValueProvider(new EnvironmentDefaults(Map.of(
                "SWITCHYARD_OTLP_TRACES_ENDPOINT", "http://collector:4318/v1/traces")::get)).parseArgs();
        assertThat(traced.otlpTracesEndpoint).isEqualTo("http://collector:4318/v1/traces");
        CliRun notUrl = CliRun.of("serve", "--otlp-traces-endpoint", "collector:4317", "--port", "0", "--grpc-port", "0");
        assertThat(notUrl.exitCode()).isEqualTo(CliErrors.BAD_INPUT);
        assertThat(notUrl.err()).contains("--otlp-traces-endpoint").contains("collector:4317");
    }

    @Test
    void anApiKeyFileThatCannotBeTrustedIsRefusedNamingItsLine(@TempDir Path dir) throws Exception {
        ServeCommand command = new ServeCommand();
        new picocli.CommandLine(command).setDefaultValueProvider(new EnvironmentDefaults(Map.of(
                "SWITCHYARD_API_KEY_FILE", dir.resolve("keys").toString())::get)).parseArgs();
        assertThat(command.apiKeyFile).isEqualTo(dir.resolve("keys"));
        Path file = java.nio.file.Files.writeString(dir.resolve("keys"), "alice sk-1\nbob\n");
        CliRun refused = CliRun.of("serve", "--api-key-file", file.toString(), "--port", "0", "--grpc-port", "0");
        assertThat(refused.exitCode()).isEqualTo(CliErrors.BAD_INPUT);
        assertThat(refused.err()).contains("--api-key-file " + file + " line 2");
    }

    @Test
    void theResponsesDirHasAnEnvironmentTwinAndAFileInItsPlaceIsRefusedNamingIt(@TempDir Path dir) throws Exception {
        ServeCommand command = new ServeCommand();
        new picocli.CommandLine(command).setDefaultValueProvider(new EnvironmentDefaults(Map.of(
                "SWITCHYARD_RESPONSES_DIR", dir.toString())::get)).parseArgs();
        assertThat(command.responsesDir).isEqualTo(dir);
        Path file = java.nio.file.Files.writeString(dir.resolve("plain"), "x");
        CliRun refused = CliRun.of("serve", "--responses-dir", file.toString(), "--port", "0", "--grpc-port", "0");
        assertThat(refused.exitCode()).isEqualTo(CliErrors.BAD_INPUT);
        assertThat(refused.err()).contains("--responses-dir " + file);
    }

    @Test
    void offloadingFlagsHaveEnvironmentTwinsToo() {
        Map<String, String> env = Map.of("SWITCHYARD_EXPERT_MEMORY", "25%", "SWITCHYARD_LINK_BANDWIDTH", "8GB/s",
                "SWITCHYARD_PREDICTOR", "gate", "SWITCHYARD_PREFETCH_DEPTH", "2");
        ServeCommand command = new ServeCommand();
        new picocli.CommandLine(command).setDefaultValueProvider(new EnvironmentDefaults(env::get))
                .parseArgs("--predictor", "affinity");
        var offload = command.offload.toOffload();
        assertThat(offload.memory().fraction()).isEqualTo(0.25);
        assertThat(offload.linkBytesPerSecond()).isEqualTo(8e9);
        assertThat(offload.predictor()).as("the flag wins").isEqualTo("affinity");
        assertThat(offload.prefetchDepth()).isEqualTo(2);
        ServeCommand plain = new ServeCommand();
        new picocli.CommandLine(plain).setDefaultValueProvider(new EnvironmentDefaults(Map.<String, String>of()::get))
                .parseArgs();
        assertThat(plain.offload.toOffload()).as("no --expert-memory: experts stay in place").isNull();
    }

    @Test
    void hybridExecutionHasAnEnvironmentTwinAndNeedsOffloading() {
        ServeCommand command = new ServeCommand();
        new picocli.CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true)
                .setDefaultValueProvider(new EnvironmentDefaults(
                        Map.of("SWITCHYARD_HYBRID", "on", "SWITCHYARD_EXPERT_MEMORY", "25%")::get))
                .parseArgs();
        assertThat(command.hybrid.enabled()).isTrue();
        assertThat(command.offload.toOffload(command.hybrid.enabled()).hybrid()).isTrue();
        ServeCommand plain = new ServeCommand();
        new picocli.CommandLine(plain).setDefaultValueProvider(new EnvironmentDefaults(Map.<String, String>of()::get))
                .parseArgs("--expert-memory", "25%");
        assertThat(plain.hybrid.enabled()).as("off by default").isFalse();

        CliRun run = CliRun.of("serve", "--hybrid", "on", "--port", "0", "--grpc-port", "0");
        assertThat(run.exitCode()).isEqualTo(CliErrors.BAD_INPUT);
        assertThat(run.err()).contains("--hybrid on").contains("needs offloading").contains("--expert-memory");
        assertThat(run.out()).doesNotContain("listening");
    }

    @Test
    void speculationIsOffUnlessAskedForAndBadSettingsAreRefusedNamingTheOption() {
        ServeCommand plain = new ServeCommand();
        new picocli.CommandLine(plain).setDefaultValueProvider(new EnvironmentDefaults(Map.<String, String>of()::get))
                .parseArgs();
        assertThat(plain.speculation.speculation().enabled()).isFalse();
        ServeCommand fromEnv = new ServeCommand();
        new picocli.CommandLine(fromEnv).setDefaultValueProvider(new EnvironmentDefaults(Map.of(
                "SWITCHYARD_SPECULATIVE_TOKENS", "6", "SWITCHYARD_LOOKUP_NGRAM", "1-3")::get)).parseArgs();
        assertThat(fromEnv.speculation.speculation())
                .isEqualTo(dev.switchyard.engine.schedule.Speculation.lookup(6, 1, 3));
        for (List<String> command : List.of(List.of("serve", "--port", "0"), List.of("generate", "--prompt", "hi"),
                List.of("bench"))) {
            CliRun range = CliRun.of(with(command, "--speculative-tokens", "4", "--lookup-ngram", "3-1"));
            assertThat(range.exitCode()).as(command.getFirst()).isEqualTo(CliErrors.BAD_INPUT);
            assertThat(range.err()).as(command.getFirst()).contains("--lookup-ngram").contains("1 to 8");
            CliRun many = CliRun.of(with(command, "--speculative-tokens", "40"));
            assertThat(many.err()).as(command.getFirst()).contains("--speculative-tokens").contains("0 to 16");
            CliRun spelling = CliRun.of(with(command, "--lookup-ngram", "two"));
            assertThat(spelling.err()).as(command.getFirst()).contains("--lookup-ngram must be MIN-MAX or N, got 'two'");
            assertThat(range.out() + many.out() + spelling.out()).doesNotContain("listening");
        }
    }

    private static String[] with(List<String> command, String... more) {
        List<String> all = new java.util.ArrayList<>(command);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    @Test
    void theKvCacheTypeIsF16UnlessSetAndAnUnknownOneIsAUsageError() {
        ServeCommand plain = new ServeCommand();
        new picocli.CommandLine(plain).setDefaultValueProvider(new EnvironmentDefaults(Map.<String, String>of()::get))
                .parseArgs();
        assertThat(plain.kvCache.type).isEqualTo(KvCacheType.F16);
        ServeCommand fromEnv = new ServeCommand();
        new picocli.CommandLine(fromEnv).setDefaultValueProvider(
                new EnvironmentDefaults(Map.of("SWITCHYARD_KV_CACHE_TYPE", "F32")::get)).parseArgs();
        assertThat(fromEnv.kvCache.type).as("set by its environment twin, in any case").isEqualTo(KvCacheType.F32);
        ServeCommand quantized = new ServeCommand();
        new picocli.CommandLine(quantized).parseArgs("--kv-cache-type", "q8_0");
        assertThat(quantized.kvCache.type).isEqualTo(KvCacheType.Q8_0);

        for (String command : List.of("serve", "generate", "bench")) {
            CliRun run = CliRun.of(command, "--kv-cache-type", "q4_0", "--port", "0");
            assertThat(run.exitCode()).as(command).isEqualTo(CliErrors.USAGE);
            assertThat(run.err()).as(command).contains("--kv-cache-type").contains("choose one of f32, f16, q8_0");
            assertThat(run.out()).doesNotContain("listening");
        }
    }

    @Test
    void refusesABadExpertMemoryBeforeListening() {
        CliRun run = CliRun.of("serve", "--expert-memory", "150%", "--port", "0", "--grpc-port", "0");
        assertThat(run.exitCode()).isEqualTo(CliErrors.BAD_INPUT);
        assertThat(run.err()).contains("(0, 100]").doesNotContain("listening");
        assertThat(run.out()).doesNotContain("listening");
    }

    @Test
    void sizesAndDurations() {
        assertThat(Units.parseBytes("2GiB")).isEqualTo(2L << 30);
        assertThat(Units.parseBytes("1.5 MB")).isEqualTo(1_500_000L);
        assertThat(Units.parseBytes("4096")).isEqualTo(4096L);
        assertThat(Units.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Units.parseDuration("10m")).isEqualTo(Duration.ofMinutes(10));
        assertThat(Units.parseDuration("30")).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void sigtermDrainsInFlightRequestsRefusesNewOnesAndExitsZero(@TempDir Path cache) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                SwitchyardCli.class.getName(), "serve")
                .redirectErrorStream(true);
        // No --model: the demo model, written into this cache; the port and threads from the environment.
        pb.environment().put("SWITCHYARD_CACHE", cache.toString());
        pb.environment().put("SWITCHYARD_PORT", "0");
        pb.environment().put("SWITCHYARD_THREADS", "1");
        pb.environment().put("SWITCHYARD_DRAIN_TIMEOUT", "60s");
        Process process = pb.start();
        try {
            List<String> log = new ArrayList<>();
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            int port = -1;
            for (String line; (line = out.readLine()) != null; ) {
                log.add(line);
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    port = Integer.parseInt(m.group(1));
                }
                if (line.contains("ready:")) {
                    break;
                }
            }
            assertThat(port).as(String.join("\n", log)).isPositive();
            assertThat(Files.list(cache)).isNotEmpty();
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI base = URI.create("http://127.0.0.1:" + port);
            assertThat(client.send(HttpRequest.newBuilder(base.resolve("/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).contains("switchyard-demo");

            try (Socket inFlight = new Socket("127.0.0.1", port)) {
                startStream(inFlight, port, "{\"prompt\":\"Hi\",\"max_tokens\":400,\"ignore_eos\":true,\"stream\":true}");
                InputStream in = inFlight.getInputStream();
                StringBuilder seen = new StringBuilder();
                readUntil(in, seen, "data: ");

                process.destroy(); // SIGTERM
                HttpResponse<String> health;
                do {
                    health = client.send(HttpRequest.newBuilder(base.resolve("/health")).build(), HttpResponse.BodyHandlers.ofString());
                } while (health.statusCode() == 200);
                assertThat(health.statusCode()).isEqualTo(503);
                HttpResponse<String> refused = client.send(HttpRequest.newBuilder(base.resolve("/v1/completions"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Hi\"}")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(refused.statusCode()).isEqualTo(503);

                readUntil(in, seen, "data: [DONE]");
                assertThat(seen.toString()).contains("\"finish_reason\":\"length\"").doesNotContain("\"abort\"");
            }
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).isZero();
        } finally {
            process.destroyForcibly();
        }
    }

    private static void startStream(Socket socket, int port, String body) throws Exception {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        OutputStream o = socket.getOutputStream();
        o.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Length: " + bytes.length
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        o.write(bytes);
        o.flush();
        socket.setSoTimeout(60_000);
    }

    private static void readUntil(InputStream in, StringBuilder seen, String marker) throws Exception {
        while (seen.indexOf(marker) < 0) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("connection closed before '" + marker + "': " + seen);
            }
            seen.append((char) b);
        }
    }
}
