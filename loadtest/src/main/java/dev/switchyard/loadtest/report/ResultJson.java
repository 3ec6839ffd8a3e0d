package dev.switchyard.loadtest.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.switchyard.loadtest.metrics.LatencySummary;
import dev.switchyard.loadtest.metrics.RunSummary;
import dev.switchyard.loadtest.metrics.ServerMetricsReport;
import dev.switchyard.loadtest.metrics.Slo;
import dev.switchyard.loadtest.workload.PromptCalibrator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result file. Keys are spelled out here, in order, rather than derived from record components,
 * so that renaming a Java field can never change the file: {@code RESULTS.md} in this module documents
 * every key, and a test holds the two together.
 */
public final class ResultJson {

    public static final int SCHEMA_VERSION = 1;

    private ResultJson() {
    }

    public static void write(LoadTestResult result, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, toJson(result) + "\n");
    }

    public static String toJson(LoadTestResult result) throws IOException {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(toMap(result));
    }

    public static Map<String, Object> toMap(LoadTestResult result) {
        Map<String, Object> top = new LinkedHashMap<>();
        top.put("schema_version", SCHEMA_VERSION);
        top.put("target", result.target());
        top.put("model", result.model());
        top.put("config", result.config());
        top.put("input_tokens", inputTokens(result.inputTokens()));
        if (result.sweep()) {
            List<Map<String, Object>> runs = new ArrayList<>();
            result.runs().forEach(r -> runs.add(run(r)));
            top.put("sweep", runs);
        } else {
            top.putAll(run(result.runs().getFirst()));
        }
        top.put("beside_batch", null);
        if (result.besideBatch() != null) {
            var b = result.besideBatch();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", b.id());
            m.put("requests", b.requests());
            m.put("done_during_run", b.doneDuringRun());
            m.put("status", b.status());
            m.put("completed", b.completed());
            m.put("failed", b.failed());
            m.put("duration_s", b.seconds());
            top.put("beside_batch", m);
        }
        return top;
    }

    private static Map<String, Object> inputTokens(PromptCalibrator.Report r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", r.method());
        m.put("tokens_per_word", round(r.tokensPerWord()));
        m.put("prompts", r.prompts());
        m.put("exact_fraction", r.exactFraction() == null ? null : round(r.exactFraction()));
        m.put("mean_abs_error", r.meanAbsError() == null ? null : round(r.meanAbsError()));
        return m;
    }

    static Map<String, Object> run(MeasuredRun run) {
        RunSummary s = run.summary();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("request_rate", Double.isInfinite(s.offeredRate()) ? "inf" : s.offeredRate());
        m.put("max_concurrency", s.maxConcurrency() > 0 ? s.maxConcurrency() : null);
        m.put("duration_s", round(s.durationS()));
        m.put("completed", s.completed());
        m.put("failed", s.failed());
        m.put("failed_by_kind", s.failedByKind());
        m.put("cancelled", s.cancelled());
        m.put("total_input_tokens", s.totalInputTokens());
        m.put("total_output_tokens", s.totalOutputTokens());
        m.put("output_tokens_source", s.outputTokensSource());
        m.put("request_throughput", round(s.requestThroughput()));
        m.put("output_token_throughput", round(s.outputTokenThroughput()));
        m.put("total_token_throughput", round(s.totalTokenThroughput()));
        m.put("slo", slo(s.slo()));
        m.put("good_requests", s.goodRequests());
        m.put("request_goodput", s.goodput() == null ? null : round(s.goodput()));
        m.put("ttft_ms", latency(s.ttft()));
        m.put("tpot_ms", latency(s.tpot()));
        m.put("itl_ms", latency(s.itl()));
        m.put("e2e_ms", latency(s.e2e()));
        m.put("peak_in_flight", s.peakInFlight());
        m.put("server_metrics", server(run.server()));
        return m;
    }

    private static Map<String, Object> slo(Slo slo) {
        if (slo == null) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ttft_ms", slo.ttftMs());
        m.put("tpot_ms", slo.tpotMs());
        m.put("e2e_ms", slo.e2eMs());
        return m;
    }

    private static Map<String, Object> latency(LatencySummary l) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", l.count());
        m.put("mean", round(l.mean()));
        m.put("p50", round(l.p50()));
        m.put("p90", round(l.p90()));
        m.put("p99", round(l.p99()));
        m.put("min", round(l.min()));
        m.put("max", round(l.max()));
        return m;
    }

    private static Map<String, Object> server(ServerMetricsReport r) {
        if (r == null) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("url", r.url());
        m.put("error", r.error());
        m.put("expert_cache_hit_rate", r.expertCacheHitRate());
        m.put("preemptions", r.preemptions());
        m.put("kv_usage_ratio_before", r.kvUsageBefore());
        m.put("kv_usage_ratio_after", r.kvUsageAfter());
        m.put("requests_running_before", r.requestsRunningBefore());
        m.put("requests_running_after", r.requestsRunningAfter());
        m.put("counter_deltas", r.deltas());
        return m;
    }

    /** Four decimals: far below what the clocks resolve, and keeps the file readable. */
    static double round(double v) {
        return Math.round(v * 10_000) / 10_000.0;
    }
}
