package dev.switchyard.loadtest.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.loadtest.live.LiveSwitchyard;
import dev.switchyard.loadtest.report.LoadTestResult;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code --api-key}: a server that requires a key is driven over HTTP (the batch beside the run too)
 * and gRPC with it, or with {@code SWITCHYARD_API_KEY}; without it the run stops at the first request
 * the server refuses, and the key never reaches the result file.
 */
class ApiKeyLoadTest {

    private static final String KEY = "sk-load-0042";

    private static LoadTestCli parse(Map<String, String> env, String... args) {
        CommandLine cli = LoadTestCli.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
                false);
        ((LoadTestCli) cli.getCommand()).environment = env::get;
        cli.parseArgs(args);
        return (LoadTestCli) cli.getCommand();
    }

    private static LoadTestResult run(LoadTestCli cli) throws Exception {
        return new LoadTest(cli.settings(), new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter(), true))
                .measure();
    }

    @Test
    void aServerThatRequiresAKeyIsDrivenWithIt() throws Exception {
        try (LiveSwitchyard server = LiveSwitchyard.withApiKey(4, KEY)) {
            String[] http = {"--url", server.httpUrl().toString(), "--num-requests", "3", "--warmup", "0",
                "--input-len", "8", "--output-len", "3", "--max-concurrency", "2", "--seed", "1"};
            LoadTestCli keyed = parse(Map.of(), concat(http, "--api-key", KEY, "--beside-batch", "2"));
            LoadTestResult result = run(keyed);
            assertThat(result.runs().getFirst().summary().completed()).isEqualTo(3);
            assertThat(result.besideBatch().status()).isEqualTo("completed");
            assertThat(result.besideBatch().completed()).isEqualTo(2);
            assertThat(keyed.settings().config().toString()).doesNotContain(KEY);

            assertThat(run(parse(Map.of("SWITCHYARD_API_KEY", KEY), http)).runs().getFirst().summary().completed())
                    .as("the key from the server's own variable").isEqualTo(3);
            assertThatThrownBy(() -> run(parse(Map.of(), http))).as("no key").hasMessageContaining("401");

            LoadTestCli grpc = parse(Map.of(), "--grpc", server.grpcAddress(), "--num-requests", "2", "--warmup", "0",
                    "--input-len", "8", "--output-len", "3", "--seed", "1", "--api-key", KEY);
            assertThat(run(grpc).runs().getFirst().summary().completed()).isEqualTo(2);
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
