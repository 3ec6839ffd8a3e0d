package dev.switchyard.loadtest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.loadtest.fake.FakeOpenAiServer;
import dev.switchyard.loadtest.fake.Reply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole command against the scripted server: failures by kind, server metrics, the JSON and HTML files. */
class LoadTestCommandTest {

    @TempDir
    Path dir;

    /** Requests 1-3 are refused (429), 4 fails (500), 5 errors mid-stream, 6 ends without [DONE]. */
    private static Reply scripted(int n) {
        return switch (n) {
            case 1, 2, 3 -> new Reply.Status(429, "{\"error\":{\"message\":\"queue full\"}}");
            case 4 -> new Reply.Status(500, "{\"error\":{\"message\":\"boom\"}}");
            case 5 -> new Reply.Stream(5, 4, 5, 4, 1, -1);
            case 6 -> new Reply.Stream(5, 4, 5, 4, -1, 2);
            default -> Reply.Stream.of(20, 4, 10, 4);
        };
    }

    @Test
    void countsFailuresByKindAndReadsTheServersMetrics() throws Exception {
        try (FakeOpenAiServer server = new FakeOpenAiServer(LoadTestCommandTest::scripted, true)) {
            Path json = dir.resolve("result.json");
            Path html = dir.resolve("report.html");
            CliRun run = CliRun.of("--url", server.url().toString(), "--num-requests", "12", "--max-concurrency", "1",
                    "--input-len", "40", "--output-len", "4", "--slo", "ttft:60000", "--seed", "3",
                    "--result-json", json.toString(), "--report-html", html.toString());
            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(run.err()).contains("model fake-moe (from /v1/models)").contains("/tokenize");
            assertThat(run.out()).contains("Completed requests:").contains("TTFT").contains("expert cache hit rate");

            JsonNode r = new ObjectMapper().readTree(json.toFile());
            assertThat(r.get("completed").asInt()).isEqualTo(6);
            assertThat(r.get("failed").asInt()).isEqualTo(6);
            assertThat(r.get("failed_by_kind").toString())
                    .isEqualTo("{\"http_429\":3,\"http_500\":1,\"incomplete_stream\":1,\"stream_error\":1}");
            assertThat(r.get("cancelled").asInt()).isZero();
            assertThat(r.get("good_requests").asInt()).isEqualTo(6);
            assertThat(r.get("total_output_tokens").asInt()).isEqualTo(24);
            assertThat(r.get("ttft_ms").get("p50").asDouble()).isGreaterThanOrEqualTo(19.0);
            assertThat(r.at("/input_tokens/method").asText()).isEqualTo("tokenize");
            assertThat(r.at("/input_tokens/mean_abs_error").asDouble()).isLessThanOrEqualTo(1.0);
            // The server's usage counts prompts with the same tokenizer /tokenize uses.
            assertThat(r.get("total_input_tokens").asInt()).isBetween(6 * 39, 6 * 41);

            JsonNode m = r.get("server_metrics");
            assertThat(m.get("error").isNull()).isTrue();
            assertThat(m.get("expert_cache_hit_rate").asDouble()).isEqualTo(0.75);
            assertThat(m.get("preemptions").asDouble()).isEqualTo(6.0);
            assertThat(m.get("kv_usage_ratio_before").asDouble()).isZero();
            assertThat(m.at("/counter_deltas/switchyard_expert_cache_hits_total").asDouble()).isEqualTo(18.0);

            assertThat(r.at("/config/temperature").asDouble()).isZero();
            assertThat(r.at("/config/top_k").isNull()).isTrue();
            ResultKeys.assertDocumented(r, false);
            assertPngCharts(Files.readString(html), 6);
        }
    }

    @Test
    void sweepRunsEachRateAfterOneWarmup() throws Exception {
        try (FakeOpenAiServer server = new FakeOpenAiServer(n -> Reply.Stream.of(5, 3, 5, 3), false)) {
            Path json = dir.resolve("sweep.json");
            Path html = dir.resolve("sweep.html");
            CliRun run = CliRun.of("--url", server.url().toString(), "--api", "chat", "--num-requests", "5",
                    "--warmup", "2", "--sweep-rate", "200,inf", "--input-len", "8-16", "--output-len", "3",
                    "--temperature", "0.8", "--top-k", "40",
                    "--result-json", json.toString(), "--report-html", html.toString());
            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(run.err()).contains("approximate");
            assertThat(server.requests()).isEqualTo(2 + 2 * 5);
            assertThat(server.lastGeneration().get("temperature").asDouble()).isEqualTo(0.8);
            assertThat(server.lastGeneration().get("top_k").asInt()).isEqualTo(40);
            assertThat(server.lastGeneration().has("top_p")).isFalse();

            JsonNode r = new ObjectMapper().readTree(json.toFile());
            assertThat(r.get("sweep")).hasSize(2);
            assertThat(r.at("/sweep/0/request_rate").asDouble()).isEqualTo(200.0);
            assertThat(r.at("/sweep/1/request_rate").asText()).isEqualTo("inf");
            assertThat(r.at("/sweep/1/completed").asInt()).isEqualTo(5);
            assertThat(r.at("/input_tokens/method").asText()).isEqualTo("approximate");
            assertThat(r.at("/config/temperature").asDouble()).isEqualTo(0.8);
            assertThat(r.at("/config/top_k").asInt()).isEqualTo(40);
            assertThat(r.at("/config/top_p").isNull()).isTrue();
            ResultKeys.assertDocumented(r, true);
            assertPngCharts(Files.readString(html), 7);
            assertThat(run.out()).contains("TTFT p99");
        }
    }

    private static void assertPngCharts(String html, int expected) {
        Matcher m = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(html);
        int found = 0;
        while (m.find()) {
            byte[] png = Base64.getDecoder().decode(m.group(1));
            assertThat(png).startsWith(0x89, 'P', 'N', 'G');
            found++;
        }
        assertThat(found).isEqualTo(expected);
        assertThat(html).doesNotContain("src=\"http");
    }
}
