package dev.switchyard.loadtest.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.cache.residency.ResidencyCounters;
import dev.switchyard.server.serving.ServingMetrics;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The server's own {@code /metrics} page, as Switchyard writes it, read the way the load test reads it. */
class ServerMetricNamesTest {

    private static ResidencyCounters counters(long[] hits, long[] misses) {
        long[] none = new long[hits.length];
        return counters(hits, misses, none, none);
    }

    private static ResidencyCounters counters(long[] hits, long[] misses, long[] host, long[] copied) {
        long[] none = new long[hits.length];
        return new ResidencyCounters(hits[0] + hits[1], misses[0] + misses[1], 0, 0, 0, 0, 0, 0, 0, hits, misses, none, none,
                host, copied);
    }

    @Test
    void theExpertCacheHitRateComesFromTheCountersTheServerExportsPerLayer() {
        AtomicReference<ResidencyCounters> now = new AtomicReference<>(counters(new long[] {10, 2}, new long[] {5, 3}));
        ServingMetrics server = new ServingMetrics("moe", () -> null);
        server.expertCache(now::get, 16, false, false);
        var before = PrometheusText.parse(server.scrape());
        // over the run: layer 0 gains 6 hits and 2 misses, layer 1 gains 3 hits and 1 miss
        now.set(counters(new long[] {16, 5}, new long[] {7, 4}));
        var after = PrometheusText.parse(server.scrape());

        ServerMetricsReport report = ServerMetricsReport.between("u", before, after);
        assertThat(report.expertCacheHitRate()).isEqualTo(9.0 / 12);
        assertThat(report.deltas()).containsEntry(ServerMetricsReport.HITS, 9.0).containsEntry(ServerMetricsReport.MISSES, 3.0);
    }

    @Test
    void hybridExecutionsChoicesAreAmongTheCounterDeltas() {
        AtomicReference<ResidencyCounters> now = new AtomicReference<>(
                counters(new long[] {10, 2}, new long[] {5, 3}, new long[] {4, 4}, new long[] {5, 3}));
        ServingMetrics server = new ServingMetrics("moe", () -> null);
        server.expertCache(now::get, 16, false, true);
        var before = PrometheusText.parse(server.scrape());
        now.set(counters(new long[] {16, 5}, new long[] {7, 4}, new long[] {9, 6}, new long[] {7, 4}));
        var after = PrometheusText.parse(server.scrape());

        ServerMetricsReport report = ServerMetricsReport.between("u", before, after);
        assertThat(report.deltas()).containsEntry("switchyard_hybrid_host_experts_total", 7.0)
                .containsEntry("switchyard_hybrid_copied_experts_total", 3.0);
        assertThat(report.expertCacheHitRate()).as("host experts are neither hits nor misses").isEqualTo(9.0 / 12);
    }

    @Test
    void aServerThatKeepsItsExpertsInPlaceHasNoHitRate() {
        ServingMetrics server = new ServingMetrics("dense", () -> null);
        var page = PrometheusText.parse(server.scrape());
        assertThat(ServerMetricsReport.between("u", page, page).expertCacheHitRate()).isNull();
    }
}
