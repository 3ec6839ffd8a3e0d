package dev.switchyard.loadtest.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.switchyard.loadtest.run.Outcome;
import dev.switchyard.loadtest.run.RequestResult;
import dev.switchyard.loadtest.run.RunRecords;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The formulas on hand-made timestamps, where every figure is known exactly. */
class RunMetricsTest {

    private static final long MS = 1_000_000;

    private static RequestResult completed(int i, long sent, long[] chunksMs, int usageTokens) {
        long[] chunks = new long[chunksMs.length];
        for (int k = 0; k < chunks.length; k++) {
            chunks[k] = sent + chunksMs[k] * MS;
        }
        return new RequestResult(i, Outcome.COMPLETED, null, null, sent, chunks, chunks[chunks.length - 1] + MS,
                usageTokens >= 0 ? 10 : -1, usageTokens, 12, 1);
    }

    @Test
    void vllmFormulasOnKnownTimestamps() {
        // Request 0: first token at 100 ms, then 50, 50, 100 ms gaps; usage says 7 tokens.
        // Request 1: first token at 300 ms, one more 200 ms later; no usage (2 chunks = 2 tokens).
        // Request 2 fails, request 3 is cancelled: neither enters the figures.
        List<RequestResult> rs = List.of(
                completed(0, 0, new long[] {100, 150, 200, 300}, 7),
                completed(1, 1000 * MS, new long[] {300, 500}, -1),
                new RequestResult(2, Outcome.FAILED, "http_429", "full", 0, new long[0], 5 * MS, -1, -1, 12, 2),
                new RequestResult(3, Outcome.CANCELLED, null, null, 0, new long[] {MS}, 9 * MS, -1, -1, 12, 3));
        RunSummary s = RunMetrics.compute(new RunRecords(rs, 0, 2000 * MS, 4.0, 0), Slo.parse("ttft:200"));

        assertThat(s.durationS()).isEqualTo(2.0);
        assertThat(s.completed()).isEqualTo(2);
        assertThat(s.failed()).isEqualTo(1);
        assertThat(s.failedByKind()).containsExactly(java.util.Map.entry("http_429", 1));
        assertThat(s.cancelled()).isEqualTo(1);
        assertThat(s.peakInFlight()).isEqualTo(3);
        assertThat(s.totalOutputTokens()).isEqualTo(9);
        assertThat(s.totalInputTokens()).isEqualTo(10 + 12);
        assertThat(s.outputTokensSource()).isEqualTo("mixed");
        assertThat(s.requestThroughput()).isEqualTo(1.0);
        assertThat(s.outputTokenThroughput()).isEqualTo(4.5);
        assertThat(s.totalTokenThroughput()).isEqualTo(15.5);

        assertThat(s.ttft().mean()).isEqualTo(200.0);
        assertThat(s.e2e().mean()).isEqualTo((300 + 500) / 2.0);
        // TPOT: (300 - 100) / (7 - 1) and (500 - 300) / (2 - 1).
        assertThat(s.tpot().mean()).isCloseTo((200.0 / 6 + 200.0) / 2, within(1e-6));
        // ITL pools the gaps 50, 50, 100, 200.
        assertThat(s.itl().count()).isEqualTo(4);
        assertThat(s.itl().mean()).isEqualTo(100.0);
        assertThat(s.itl().p50()).isCloseTo(50.0, within(0.1));
        assertThat(s.itl().max()).isEqualTo(200.0);
        // Only request 0 reached its first token within 200 ms... and request 1 did not (300 ms).
        assertThat(s.goodRequests()).isEqualTo(1);
        assertThat(s.goodput()).isEqualTo(0.5);
    }

    @Test
    void percentilesOfAThousandEvenSamples() {
        LatencySummary.Builder b = new LatencySummary.Builder();
        for (int i = 1; i <= 1000; i++) {
            b.add(i * MS);
        }
        LatencySummary l = b.build();
        assertThat(l.mean()).isEqualTo(500.5);
        assertThat(l.p50()).isCloseTo(500, within(0.6));
        assertThat(l.p90()).isCloseTo(900, within(1.0));
        assertThat(l.p99()).isCloseTo(990, within(1.0));
        assertThat(l.min()).isEqualTo(1.0);
        assertThat(l.max()).isEqualTo(1000.0);
    }

    @Test
    void prometheusTextSumsLabelSets() {
        String page = """
                # HELP switchyard_preemptions_total Preemptions.
                # TYPE switchyard_preemptions_total counter
                switchyard_preemptions_total{model="a"} 3
                switchyard_preemptions_total{model="b",note="x}y \\" z"} 4.5 1700000000
                switchyard_kv_usage_ratio 0.25
                switchyard_ttft_seconds_bucket{le="+Inf"} +Inf
                """;
        var m = PrometheusText.parse(page);
        assertThat(m).containsEntry("switchyard_preemptions_total", 7.5)
                .containsEntry("switchyard_kv_usage_ratio", 0.25)
                .containsEntry("switchyard_ttft_seconds_bucket", Double.POSITIVE_INFINITY);
        ServerMetricsReport r = ServerMetricsReport.between("u",
                java.util.Map.of("switchyard_expert_cache_hits_total", 10.0, "switchyard_expert_cache_misses_total", 10.0),
                java.util.Map.of("switchyard_expert_cache_hits_total", 19.0, "switchyard_expert_cache_misses_total", 11.0));
        assertThat(r.expertCacheHitRate()).isEqualTo(0.9);
        assertThat(r.preemptions()).isNull();
    }
}
