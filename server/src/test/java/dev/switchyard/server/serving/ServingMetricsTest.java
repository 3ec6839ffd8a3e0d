package dev.switchyard.server.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.cache.residency.ResidencyCounters;
import dev.switchyard.engine.generate.FinishReason;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ServingMetricsTest {

    @Test
    void everyServingMetricIsExportedWithTheModelLabel() {
        ServingMetrics metrics = new ServingMetrics("demo", () -> null);
        metrics.admitted(2_000_000, 17);
        metrics.firstToken(50_000_000);
        metrics.nextToken(10_000_000);
        metrics.nextToken(12_000_000);
        metrics.preempted();
        metrics.finished(FinishReason.LENGTH, 900_000_000);
        metrics.finished(FinishReason.ABORT, 100_000_000);
        metrics.clientDisconnected();
        metrics.kvCache("f16", 16, 4096, 0);
        String text = metrics.scrape();
        assertThat(text)
                .contains("switchyard_requests_running{model=\"demo\"} 0.0")
                .contains("switchyard_requests_waiting{model=\"demo\"} 0.0")
                .contains("switchyard_kv_usage_ratio{model=\"demo\"} 0.0")
                .contains("switchyard_kv_cache_info{block_size=\"16\",cache_type=\"f16\",model=\"demo\"} 1.0")
                .contains("switchyard_kv_cache_capacity_tokens{model=\"demo\"} 4096.0")
                .doesNotContain("switchyard_kv_cache_window_capacity_tokens")
                .contains("switchyard_preemptions_total{model=\"demo\"} 1.0")
                .contains("switchyard_prompt_tokens_total{model=\"demo\"} 17.0")
                .contains("switchyard_generation_tokens_total{model=\"demo\"} 3.0")
                .contains("switchyard_request_success_total{finish_reason=\"length\",model=\"demo\"} 1.0")
                .contains("switchyard_request_success_total{finish_reason=\"abort\",model=\"demo\"} 1.0")
                .contains("switchyard_request_success_total{finish_reason=\"stop\",model=\"demo\"} 0.0")
                .contains("switchyard_client_disconnects_total{model=\"demo\"} 1.0")
                .contains("switchyard_time_to_first_token_seconds_count{model=\"demo\"} 1")
                .contains("switchyard_time_to_first_token_seconds_bucket{model=\"demo\",le=\"0.06\"} 1")
                .contains("switchyard_inter_token_latency_seconds_count{model=\"demo\"} 2")
                .contains("switchyard_e2e_request_latency_seconds_count{model=\"demo\"} 2")
                .contains("switchyard_queue_time_seconds_sum{model=\"demo\"} 0.002");
        assertThat(metrics.contentType()).startsWith("text/plain");
    }

    @Test
    void windowedLayersBlocksApartAreExportedBesideTheCache() {
        ServingMetrics metrics = new ServingMetrics("demo", () -> null);
        metrics.kvCache("f16", 16, 4096, 640);
        assertThat(metrics.scrape())
                .contains("switchyard_kv_cache_capacity_tokens{model=\"demo\"} 4096.0")
                .contains("switchyard_kv_cache_window_capacity_tokens{model=\"demo\"} 640.0");
    }

    @Test
    void expertLoadIsReportedPerLayer() {
        ServingMetrics metrics = new ServingMetrics("demo", () -> null);
        ExpertLoadMetrics load = metrics.expertLoad(2);
        // layer 1: 4 rows, k = 2, 4 experts: loads 3, 3, 1, 1 -> mean 2, max 3
        load.layerDispatched(1, 4, 2, new int[] {3, 3, 1, 1}, 0, 0);
        // then 2 rows with loads 4, 0, 0, 0 (mean 1) and one dropped, one rerouted
        load.layerDispatched(1, 2, 2, new int[] {4, 0, 0, 0}, 1, 1);
        String text = metrics.scrape();
        assertThat(text)
                .contains("switchyard_moe_expert_tokens_count{layer=\"1\",model=\"demo\"} 8")
                .contains("switchyard_moe_expert_tokens_bucket{layer=\"1\",model=\"demo\",le=\"1.0\"} 5")
                .contains("switchyard_moe_expert_tokens_count{layer=\"0\",model=\"demo\"} 0")
                .contains("switchyard_moe_load_ratio{layer=\"1\",model=\"demo\"} 2.333")
                .contains("switchyard_moe_dropped_assignments_total{layer=\"1\",model=\"demo\"} 1.0")
                .contains("switchyard_moe_rerouted_assignments_total{layer=\"1\",model=\"demo\"} 1.0")
                .contains("switchyard_moe_load_ratio{layer=\"0\",model=\"demo\"} 0.0");
    }

    private static ResidencyCounters counters(long[] hits, long[] misses, long[] issued, long[] useful) {
        return counters(hits, misses, issued, useful, new long[hits.length], new long[hits.length]);
    }

    private static ResidencyCounters counters(long[] hits, long[] misses, long[] issued, long[] useful, long[] host,
                                              long[] copied) {
        return new ResidencyCounters(hits[0] + hits[1], misses[0] + misses[1], 0.25, 0.05, 4096, 0.5, 3, 7, 6, hits, misses,
                issued, useful, host, copied);
    }

    @Test
    void expertCacheFiguresAreReadFromTheCacheWhenScraped() {
        ServingMetrics metrics = new ServingMetrics("demo", () -> null);
        AtomicReference<ResidencyCounters> now = new AtomicReference<>(
                counters(new long[] {5, 3}, new long[] {1, 2}, new long[] {0, 4}, new long[] {0, 2}));
        metrics.expertCache(now::get, 16, true, false);
        String first = metrics.scrape();
        assertThat(first)
                .contains("switchyard_expert_cache_slots{model=\"demo\"} 16.0")
                .contains("switchyard_expert_cache_hits_total{layer=\"0\",model=\"demo\"} 5.0")
                .contains("switchyard_expert_cache_hits_total{layer=\"1\",model=\"demo\"} 3.0")
                .contains("switchyard_expert_cache_misses_total{layer=\"1\",model=\"demo\"} 2.0")
                .contains("switchyard_expert_cache_prefetch_issued_total{layer=\"1\",model=\"demo\"} 4.0")
                .contains("switchyard_expert_cache_prefetch_useful_total{layer=\"1\",model=\"demo\"} 2.0")
                .contains("switchyard_expert_cache_prefetch_dropped_total{model=\"demo\"} 6.0")
                .contains("switchyard_expert_cache_evictions_total{model=\"demo\"} 7.0")
                .contains("switchyard_expert_cache_h2d_bytes_total{model=\"demo\"} 4096.0")
                .contains("switchyard_expert_cache_stall_seconds_total{model=\"demo\"} 0.25")
                .contains("switchyard_expert_cache_late_prediction_stall_seconds_total{model=\"demo\"} 0.05")
                // layer 1: 2 useful of 4 issued; 2 useful of 5 demanded (3 hits + 2 misses)
                .contains("switchyard_expert_cache_predictor_precision{layer=\"1\",model=\"demo\"} 0.5")
                .contains("switchyard_expert_cache_predictor_recall{layer=\"1\",model=\"demo\"} 0.4")
                .contains("switchyard_expert_cache_predictor_precision{layer=\"0\",model=\"demo\"} NaN")
                .contains("switchyard_expert_cache_predictor_recall{layer=\"0\",model=\"demo\"} 0.0");
        // no series without the layer label beside the per-layer ones: a sum over the name is the total
        assertThat(first).doesNotContain("switchyard_expert_cache_hits_total{model=");

        now.set(counters(new long[] {9, 3}, new long[] {1, 2}, new long[] {0, 4}, new long[] {0, 2}));
        assertThat(metrics.scrape()).as("read again, not accumulated")
                .contains("switchyard_expert_cache_hits_total{layer=\"0\",model=\"demo\"} 9.0");
    }

    @Test
    void predictorFiguresOnlyWhenAPredictorPrefetchesAndNoCacheFiguresWithoutOffloading() {
        ServingMetrics none = new ServingMetrics("demo", () -> null);
        none.expertCache(() -> counters(new long[2], new long[2], new long[2], new long[2]), 4, false, false);
        assertThat(none.scrape()).contains("switchyard_expert_cache_hits_total")
                .doesNotContain("switchyard_expert_cache_predictor").doesNotContain("switchyard_hybrid");
        assertThat(new ServingMetrics("demo", () -> null).scrape()).doesNotContain("switchyard_expert_cache")
                .doesNotContain("switchyard_hybrid");
    }

    @Test
    void hybridChoicesArePerLayerBesideTheCacheFigures() {
        ServingMetrics metrics = new ServingMetrics("demo", () -> null);
        metrics.expertCache(() -> counters(new long[] {5, 3}, new long[] {1, 2}, new long[2], new long[2],
                new long[] {4, 6}, new long[] {1, 2}), 16, false, true);
        assertThat(metrics.scrape())
                .contains("switchyard_hybrid_host_experts_total{layer=\"0\",model=\"demo\"} 4.0")
                .contains("switchyard_hybrid_host_experts_total{layer=\"1\",model=\"demo\"} 6.0")
                .contains("switchyard_hybrid_copied_experts_total{layer=\"1\",model=\"demo\"} 2.0")
                .contains("switchyard_expert_cache_misses_total{layer=\"1\",model=\"demo\"} 2.0")
                .doesNotContain("switchyard_hybrid_host_experts_total{model=");
    }
}
