package dev.switchyard.server.serving;

import dev.switchyard.cache.residency.ResidencyCounters;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * The expert residency cache on {@code /metrics}, when experts are offloaded. Nothing is counted
 * here: every figure is read from the cache's own counters when scraped, so the two never drift.
 * Hits, misses and prefetches are per layer only (a model total is their sum over {@code layer}; a
 * series without the label beside them would count everything twice in such a sum); evictions,
 * bytes and stall time are per model. The predictor's precision and recall are per-layer gauges,
 * exported when a predictor prefetches:
 * <ul>
 *   <li>precision = useful prefetches / prefetches issued: of the copies predictions started for
 *       the layer's experts, the share a token of that layer then used (NaN before the first);</li>
 *   <li>recall = useful prefetches / (hits + misses): of the experts the layer demanded, the share a
 *       prediction had already brought or was bringing (an expert predicted while already resident
 *       starts no copy and does not count).</li>
 * </ul>
 * Both are over the whole run so far; rates over a window come from the counters
 * ({@code rate(useful) / rate(issued)}). With hybrid execution, its choices beside them, per layer:
 * misses computed on the host ({@code switchyard_hybrid_host_experts_total}: no copy, neither hit nor
 * miss) and misses it chose to copy ({@code switchyard_hybrid_copied_experts_total}: each also a
 * miss). So {@code host / (host + copied)} is the share of misses the host took.
 */
final class ExpertCacheMetrics {

    static final String HYBRID_HOST_EXPERTS = "switchyard_hybrid_host_experts_total";
    static final String HYBRID_COPIED_EXPERTS = "switchyard_hybrid_copied_experts_total";

    private ExpertCacheMetrics() {
    }

    /**
     * @param counters a fresh snapshot of the cache's counters on every call
     * @param predicts whether a predictor prefetches (precision and recall are exported then only)
     * @param hybrid   whether misses may be computed on the host (its counters are exported then only)
     */
    static void register(PrometheusRegistry registry, String model, Supplier<ResidencyCounters> counters, int slots,
                         boolean predicts, boolean hybrid) {
        int layers = counters.get().layers();
        String[] layer = new String[layers];
        for (int l = 0; l < layers; l++) {
            layer[l] = Integer.toString(l);
        }
        GaugeWithCallback.builder().name("switchyard_expert_cache_slots")
                .help("Experts the device tier holds (the cache keeps one slot free for the next copy).")
                .labelNames("model").callback(cb -> cb.call(slots, model)).register(registry);
        perLayer(registry, "switchyard_expert_cache_hits_total", "Expert acquisitions that found the expert resident, "
                + "or on its way by a prediction, when its layer asked for it; sum over layer for the model.",
                model, layer, counters, ResidencyCounters::layerHits);
        perLayer(registry, "switchyard_expert_cache_misses_total", "Expert acquisitions whose copy started because "
                + "the layer routed to the expert (demand misses), whether or not the layer then waited for it.",
                model, layer, counters, ResidencyCounters::layerMisses);
        perLayer(registry, "switchyard_expert_cache_prefetch_issued_total",
                "Copies the predictor started for an expert of the layer.", model, layer, counters,
                ResidencyCounters::layerPrefetchIssued);
        perLayer(registry, "switchyard_expert_cache_prefetch_useful_total",
                "Copies the predictor started that a token of the layer then used (counted at the first use).",
                model, layer, counters, ResidencyCounters::layerPrefetchUseful);
        perModel(registry, "switchyard_expert_cache_prefetch_dropped_total", "Prefetches issued but never copied: "
                + "no slot was free, and a prediction never waits for one or evicts to get one.", model, counters,
                ResidencyCounters::prefetchSkipped);
        perModel(registry, "switchyard_expert_cache_evictions_total", "Experts the cache evicted.", model, counters,
                ResidencyCounters::evictions);
        perModel(registry, "switchyard_expert_cache_h2d_bytes_total", "Bytes copied from host to device memory.",
                model, counters, ResidencyCounters::h2dBytes);
        CounterWithCallback.builder().name("switchyard_expert_cache_stall_seconds_total")
                .help("Time compute waited for expert copies.").labelNames("model")
                .callback(cb -> cb.call(counters.get().stallSeconds(), model)).register(registry);
        CounterWithCallback.builder().name("switchyard_expert_cache_late_prediction_stall_seconds_total")
                .help("Of the stall, time compute waited for experts a prediction was still copying when their layer "
                        + "asked for them (hits that came late).").labelNames("model")
                .callback(cb -> cb.call(counters.get().lateStallSeconds(), model)).register(registry);
        if (hybrid) {
            perLayer(registry, HYBRID_HOST_EXPERTS, "Experts the layer computed on the host from host memory instead "
                    + "of copying them (hybrid execution): no copy started, neither a hit nor a miss.", model, layer,
                    counters, ResidencyCounters::layerHostExperts);
            perLayer(registry, HYBRID_COPIED_EXPERTS, "Missing experts hybrid execution chose to copy rather than "
                    + "compute on the host (each also counted as a miss).", model, layer, counters,
                    ResidencyCounters::layerCopiedExperts);
        }
        if (predicts) {
            GaugeWithCallback.builder().name("switchyard_expert_cache_predictor_precision")
                    .help("Prefetches a token of the layer used over prefetches issued for it, since start "
                            + "(NaN before the first; always so for layer 0, which nothing precedes).")
                    .labelNames("model", "layer")
                    .callback(cb -> {
                        ResidencyCounters c = counters.get();
                        for (int l = 0; l < layers; l++) {
                            cb.call(c.prefetchPrecision(l), model, layer[l]);
                        }
                    })
                    .register(registry);
            GaugeWithCallback.builder().name("switchyard_expert_cache_predictor_recall")
                    .help("Share of the layer's demanded experts that a prediction had already brought or was "
                            + "bringing: useful prefetches over hits plus misses, since start (NaN before the first).")
                    .labelNames("model", "layer")
                    .callback(cb -> {
                        ResidencyCounters c = counters.get();
                        for (int l = 0; l < layers; l++) {
                            cb.call(c.prefetchRecall(l), model, layer[l]);
                        }
                    })
                    .register(registry);
        }
    }

    private static void perLayer(PrometheusRegistry registry, String name, String help, String model, String[] layer,
                                 Supplier<ResidencyCounters> counters,
                                 Function<ResidencyCounters, long[]> values) {
        CounterWithCallback.builder().name(name).help(help).labelNames("model", "layer")
                .callback(cb -> {
                    long[] v = values.apply(counters.get());
                    for (int l = 0; l < layer.length; l++) {
                        cb.call(v[l], model, layer[l]);
                    }
                })
                .register(registry);
    }

    private static void perModel(PrometheusRegistry registry, String name, String help, String model,
                                 Supplier<ResidencyCounters> counters, ToLongFunction<ResidencyCounters> value) {
        CounterWithCallback.builder().name(name).help(help).labelNames("model")
                .callback(cb -> cb.call(value.applyAsLong(counters.get()), model)).register(registry);
    }
}
