package dev.switchyard.loadtest.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.loadtest.live.LiveSwitchyard;
import dev.switchyard.loadtest.report.LoadTestResult;
import dev.switchyard.loadtest.report.ResultJson;
import dev.switchyard.loadtest.target.BatchBeside;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code --beside-batch}: a batch of the run's kind made through the server's Batch API before the
 * measured run, its progress during the run and its end reported, in the console and the result file.
 */
class BesideBatchLoadTest {

    private static LoadTestCli parse(String... args) {
        CommandLine cli = LoadTestCli.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
                false);
        cli.parseArgs(args);
        return (LoadTestCli) cli.getCommand();
    }

    @Test
    void aBatchRunsBesideTheMeasuredRequestsAndItsEndIsReported() throws Exception {
        try (LiveSwitchyard server = LiveSwitchyard.start(4)) {
            LoadTestCli cli = parse("--url", server.httpUrl().toString(), "--api", "chat", "--num-requests", "4",
                    "--warmup", "0", "--input-len", "16", "--output-len", "4", "--max-concurrency", "2", "--seed", "3",
                    "--beside-batch", "6");
            StringWriter console = new StringWriter();
            LoadTest test = new LoadTest(cli.settings(), new PrintWriter(console), new PrintWriter(new StringWriter(), true));
            LoadTestResult result = test.measure();
            assertThat(result.runs().getFirst().summary().completed()).isEqualTo(4);
            BatchBeside.Report batch = result.besideBatch();
            assertThat(batch.id()).startsWith("batch_");
            assertThat(batch.requests()).isEqualTo(6);
            assertThat(batch.status()).isEqualTo("completed");
            assertThat(batch.completed()).isEqualTo(6);
            assertThat(batch.failed()).isZero();
            assertThat(batch.doneDuringRun()).isBetween(0, 6);
            assertThat(batch.seconds()).isNotNull().isNotNegative();
            assertThat(server.metric("switchyard_batch_requests_total", "model=\"tiny\",outcome=\"completed\""))
                    .isEqualTo(6);
            // the batch's requests are the run's kind and lengths, whole: six chat replies of four tokens
            assertThat(server.metric("switchyard_generation_tokens_total")).isEqualTo(4 * 4 + 6 * 4);

            test.report(result);
            assertThat(console.toString()).contains("Batch beside the run").contains(batch.id())
                    .contains("completed (6 answered, 0 failed)");
            JsonNode json = new ObjectMapper().readTree(ResultJson.toJson(result));
            ResultKeys.assertDocumented(json, false);
            assertThat(json.path("beside_batch").path("requests").asInt()).isEqualTo(6);
            assertThat(json.path("config").path("beside_batch").asInt()).isEqualTo(6);
        }
    }

    @Test
    void theBatchNeedsTheHttpApiAndACountOfZeroOrMore() {
        assertThatThrownBy(() -> parse("--grpc", "127.0.0.1:1", "--beside-batch", "3").settings())
                .hasMessageContaining("--beside-batch makes its batch through the HTTP Batch API: use --url");
        assertThatThrownBy(() -> parse("--url", "http://127.0.0.1:1", "--beside-batch", "-1").settings())
                .hasMessageContaining("--beside-batch must not be negative");
    }
}
