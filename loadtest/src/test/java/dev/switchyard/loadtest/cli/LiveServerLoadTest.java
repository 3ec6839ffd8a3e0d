package dev.switchyard.loadtest.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.loadtest.live.LiveSwitchyard;
import dev.switchyard.loadtest.metrics.RunSummary;
import dev.switchyard.loadtest.report.LoadTestResult;
import dev.switchyard.loadtest.report.MeasuredRun;
import dev.switchyard.loadtest.run.Outcome;
import dev.switchyard.loadtest.run.RequestResult;
import dev.switchyard.loadtest.workload.PlannedRequest;
import dev.switchyard.loadtest.workload.PromptCalibrator;
import dev.switchyard.loadtest.workload.WorkloadPlanner;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The load test, as the command runs it, against a real Switchyard on loopback (a tiny generated model
 * behind the HTTP and the gRPC server), over each transport: every request completes with exactly the
 * output length asked for, the latencies agree with the timestamps they come from, the result file has
 * the documented keys; and requests the client cancels are counted as cancelled, the server sees them
 * leave, and its KV cache empties afterwards.
 */
class LiveServerLoadTest {

    private static final int REQUESTS = 12;
    private static final int OUTPUT_LEN = 8;

    private static LiveSwitchyard server;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        server = LiveSwitchyard.start(4);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    /**
     * The Responses API's semantic stream and the Messages API's events: text from their deltas,
     * counts from the usage they end with, and the end from their last event.
     */
    @ParameterizedTest
    @ValueSource(strings = {"responses", "messages"})
    void eventApisAreDrivenToTheirLastEventWithTheServersCounts(String api) throws Exception {
        Path json = dir.resolve(api + ".json");
        Run run = run("http", "--api", api, "--num-requests", "" + REQUESTS, "--input-len", "16", "--output-len",
                "" + OUTPUT_LEN, "--max-concurrency", "4", "--seed", "1", "--result-json", json.toString());
        RunSummary s = run.measured().summary();
        assertThat(s.completed()).as(run.err()).isEqualTo(REQUESTS);
        assertThat(s.failed()).isZero();
        assertThat(s.outputTokensSource()).isEqualTo("usage");
        assertThat(s.totalOutputTokens()).isEqualTo((long) REQUESTS * OUTPUT_LEN);
        for (RequestResult r : run.measured().records().requests()) {
            assertThat(r.usageCompletionTokens()).isEqualTo(OUTPUT_LEN);
            assertThat(r.chunkNanos()).hasSizeBetween(2, OUTPUT_LEN);
            assertThat(r.ttftNanos()).isPositive().isLessThan(r.e2eNanos());
        }
        JsonNode r = new ObjectMapper().readTree(json.toFile());
        assertThat(r.get("target").asText()).endsWith("(" + api + ")");
        assertThat(r.at("/config/api").asText()).isEqualTo(api);
    }

    @ParameterizedTest
    @ValueSource(strings = {"http", "grpc"})
    void everyRequestCompletesWithItsOutputLengthAndConsistentLatencies(String transport) throws Exception {
        Path json = dir.resolve("result.json");
        double tokensBefore = server.metric("switchyard_generation_tokens_total");
        Run run = run(transport, "--num-requests", "" + REQUESTS, "--input-len", "16", "--output-len", "" + OUTPUT_LEN,
                "--max-concurrency", "4", "--seed", "1", "--result-json", json.toString());
        RunSummary s = run.measured().summary();

        assertThat(run.err()).contains("model " + LiveSwitchyard.MODEL_NAME)
                .contains(transport.equals("grpc") ? "(from GetModelInfo)" : "(from /v1/models)")
                .contains("input lengths counted with the server's");
        assertThat(s.completed()).as(run.err()).isEqualTo(REQUESTS);
        assertThat(s.failed()).isZero();
        assertThat(s.outputTokensSource()).isEqualTo("usage");
        assertThat(s.totalOutputTokens()).isEqualTo((long) REQUESTS * OUTPUT_LEN);
        assertThat(server.metric("switchyard_generation_tokens_total") - tokensBefore).isEqualTo(REQUESTS * OUTPUT_LEN);

        List<RequestResult> requests = run.measured().records().requests();
        double ttftSum = 0;
        double e2eSum = 0;
        long itlCount = 0;
        for (RequestResult r : requests) {
            assertThat(r.outcome()).isEqualTo(Outcome.COMPLETED);
            assertThat(r.usageCompletionTokens()).isEqualTo(OUTPUT_LEN);
            // Calibration counted each prompt with the server's own tokenizer, so the counts agree exactly.
            assertThat(r.usagePromptTokens()).isEqualTo(r.plannedInputTokens());
            long[] chunks = r.chunkNanos();
            assertThat(chunks).hasSizeBetween(2, OUTPUT_LEN);
            assertThat(chunks[0]).isGreaterThan(r.sentNanos());
            for (int i = 1; i < chunks.length; i++) {
                assertThat(chunks[i]).isGreaterThanOrEqualTo(chunks[i - 1]);
            }
            assertThat(r.endNanos()).isGreaterThanOrEqualTo(chunks[chunks.length - 1]);
            assertThat(r.ttftNanos()).isPositive().isLessThan(r.e2eNanos());
            assertThat(r.tpotNanos()).isPositive().isEqualTo((r.e2eNanos() - r.ttftNanos()) / (OUTPUT_LEN - 1));
            ttftSum += r.ttftNanos();
            e2eSum += r.e2eNanos();
            itlCount += chunks.length - 1;
        }
        // The summary's means are exact: they must be the records' own.
        assertThat(s.ttft().mean()).isCloseTo(ttftSum / REQUESTS / 1e6, within(1e-6));
        assertThat(s.e2e().mean()).isCloseTo(e2eSum / REQUESTS / 1e6, within(1e-6));
        assertThat(s.ttft().max()).isLessThanOrEqualTo(s.e2e().max() * 1.001);
        assertThat(s.tpot().count()).isEqualTo(REQUESTS);
        assertThat(s.tpot().min()).isPositive();
        assertThat(s.itl().count()).isEqualTo(itlCount);
        assertThat(s.itl().mean()).isPositive();
        assertThat(s.peakInFlight()).isBetween(1, 4);

        JsonNode r = new ObjectMapper().readTree(json.toFile());
        ResultKeys.assertDocumented(r, false);
        assertThat(r.get("target").asText()).endsWith(transport.equals("grpc") ? "(grpc)" : "(completions)");
        assertThat(r.at("/config/api").asText()).isEqualTo(transport.equals("grpc") ? "grpc" : "completions");
        assertThat(r.get("model").asText()).isEqualTo(LiveSwitchyard.MODEL_NAME);
        assertThat(r.get("completed").asInt()).isEqualTo(REQUESTS);
        assertThat(r.get("total_output_tokens").asInt()).isEqualTo(REQUESTS * OUTPUT_LEN);
        assertThat(r.at("/input_tokens/method").asText()).isEqualTo("tokenize");
        assertThat(r.at("/ttft_ms/mean").asDouble()).isCloseTo(s.ttft().mean(), within(1e-3)); // the file rounds to 4 places
        assertThat(r.at("/server_metrics/error").isNull()).isTrue();
        assertThat(r.at("/server_metrics/counter_deltas/switchyard_request_success_total").asDouble()).isEqualTo(REQUESTS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"http", "grpc"})
    void cancelledRequestsAreCountedAndTheServerFreesTheirKvBlocks(String transport) throws Exception {
        double disconnectsBefore = server.metric("switchyard_client_disconnects_total");
        // Long outputs and early cancels, so every cancel lands while its request is still generating:
        // 200 tokens take the tiny model far longer than the 60 ms the last cancel waits.
        String[] args = {"--num-requests", "" + REQUESTS, "--input-len", "16", "--output-len", "200",
                "--max-concurrency", "4", "--cancel-rate", "0.5", "--cancel-delay", "20-60", "--seed", "7"};
        Run run = run(transport, args);
        RunSummary s = run.measured().summary();
        long planned = plannedCancels(transport, args);

        assertThat(planned).isBetween(1L, REQUESTS - 1L);
        assertThat(s.cancelled()).as(run.err()).isEqualTo(planned);
        assertThat(s.completed()).isEqualTo(REQUESTS - planned);
        assertThat(s.failed()).isZero();
        assertThat(s.totalOutputTokens()).isEqualTo((REQUESTS - planned) * 200);

        // The server aborts each cancelled request (it counts the client leaving) and frees its blocks at
        // its next step; both happen after the client has moved on, so wait for them.
        long deadline = System.nanoTime() + 10_000_000_000L;
        while ((server.metric("switchyard_client_disconnects_total") - disconnectsBefore < planned
                || server.kvUsage() > 0 || server.running() > 0) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(server.metric("switchyard_client_disconnects_total") - disconnectsBefore).isEqualTo(planned);
        assertThat(server.kvUsage()).isZero();
        assertThat(server.metric("switchyard_kv_usage_ratio")).isZero();
        assertThat(server.running()).isZero();
    }

    /** What one run of the command observed, and what it printed on standard error. */
    private record Run(LoadTestResult result, String err) {
        MeasuredRun measured() {
            return result.runs().getFirst();
        }
    }

    /** Runs the command's own code path (flags, settings, measure, report) against the live server. */
    private static Run run(String transport, String... args) throws Exception {
        StringWriter err = new StringWriter();
        LoadTestCli cli = parse(transport, args);
        LoadTest test = new LoadTest(cli.settings(), new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        LoadTestResult result = test.measure();
        test.report(result);
        return new Run(result, err.toString());
    }

    private static LoadTestCli parse(String transport, String... args) {
        List<String> all = new ArrayList<>(transport.equals("grpc")
                ? List.of("--grpc", server.grpcAddress(), "--metrics-url", server.metricsUrl().toString())
                : List.of("--url", server.httpUrl().toString()));
        all.addAll(List.of(args));
        CommandLine cli = LoadTestCli.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), false);
        cli.parseArgs(all.toArray(String[]::new));
        return cli.getCommand();
    }

    /** The requests the workload marks for cancelling (their draws do not depend on prompt calibration). */
    private static long plannedCancels(String transport, String... args) throws Exception {
        WorkloadPlanner.Plan plan = new WorkloadPlanner(parse(transport, args).settings().workload(),
                PromptCalibrator.approximate(), null).plan();
        return plan.measured().stream().filter(PlannedRequest::cancels).count();
    }
}
