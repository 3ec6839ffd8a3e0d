package dev.switchyard.loadtest.metrics;

import java.util.Map;
import java.util.TreeMap;

/**
 * What the server's own {@code /metrics} said before and after a run. Counters are reported as the
 * change over the run (they only grow); gauges as the two readings. All figures are null when the
 * server does not export the metric.
 *
 * @param expertCacheHitRate hits / (hits + misses) of the expert residency cache over the run (the
 *                           server counts them per layer; the sums over every label set are the
 *                           model's totals); null when the server does not offload experts
 * @param deltas the change of every {@code switchyard_*_total} counter over the run
 */
public record ServerMetricsReport(String url, String error,
                                  Double expertCacheHitRate, Double preemptions,
                                  Double kvUsageBefore, Double kvUsageAfter,
                                  Double requestsRunningBefore, Double requestsRunningAfter,
                                  Map<String, Double> deltas) {

    static final String HITS = "switchyard_expert_cache_hits_total";
    static final String MISSES = "switchyard_expert_cache_misses_total";
    static final String PREEMPTIONS = "switchyard_preemptions_total";
    static final String KV_USAGE = "switchyard_kv_usage_ratio";
    static final String RUNNING = "switchyard_requests_running";

    public static ServerMetricsReport unavailable(String url, String error) {
        return new ServerMetricsReport(url, error, null, null, null, null, null, null, Map.of());
    }

    public static ServerMetricsReport between(String url, Map<String, Double> before, Map<String, Double> after) {
        Map<String, Double> deltas = new TreeMap<>();
        for (Map.Entry<String, Double> e : after.entrySet()) {
            if (e.getKey().startsWith("switchyard_") && e.getKey().endsWith("_total")) {
                deltas.put(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0.0));
            }
        }
        Double hits = deltas.get(HITS);
        Double misses = deltas.get(MISSES);
        Double hitRate = hits == null || misses == null || hits + misses == 0 ? null : hits / (hits + misses);
        return new ServerMetricsReport(url, null, hitRate, deltas.get(PREEMPTIONS),
                before.get(KV_USAGE), after.get(KV_USAGE), before.get(RUNNING), after.get(RUNNING), deltas);
    }
}
