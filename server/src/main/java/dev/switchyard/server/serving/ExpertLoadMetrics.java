package dev.switchyard.server.serving;

import dev.switchyard.engine.moe.ExpertLoadObserver;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Per-layer MoE load on {@code /metrics}: how many rows each expert ran per step (a histogram, one
 * observation per expert per step), the busiest expert's load over the mean (the straggler factor a
 * grouped expert kernel pays), and the assignments capacity-aware dispatch dropped or rerouted.
 * The load ratio is pooled as {@code sum(max load) / sum(mean load)} over steps, so it weighs big
 * prefill steps by their size rather than letting one-token decode steps (ratio E/k) swamp them.
 */
public final class ExpertLoadMetrics implements ExpertLoadObserver {

    private static final double[] TOKEN_BUCKETS = {0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096};

    private final DistributionDataPoint[] tokensPerExpert;
    private final CounterDataPoint[] dropped;
    private final CounterDataPoint[] rerouted;
    private final CounterDataPoint[] maxLoad;
    private final CounterDataPoint[] meanLoad;

    ExpertLoadMetrics(PrometheusRegistry registry, String model, int layers) {
        Histogram histogram = Histogram.builder().name("switchyard_moe_expert_tokens")
                .help("Rows each expert ran in one step, per layer.").labelNames("model", "layer").classicOnly()
                .classicUpperBounds(TOKEN_BUCKETS).register(registry);
        Counter droppedCounter = counter(registry, "switchyard_moe_dropped_assignments_total",
                "Token-to-expert assignments dropped by capacity-aware dispatch.");
        Counter reroutedCounter = counter(registry, "switchyard_moe_rerouted_assignments_total",
                "Token-to-expert assignments rerouted to another expert by capacity-aware dispatch.");
        Counter maxCounter = counter(registry, "switchyard_moe_max_expert_load_total",
                "Sum over steps of the busiest expert's rows.");
        Counter meanCounter = counter(registry, "switchyard_moe_mean_expert_load_total",
                "Sum over steps of the mean rows per expert (rows x k / experts).");
        this.tokensPerExpert = new DistributionDataPoint[layers];
        this.dropped = new CounterDataPoint[layers];
        this.rerouted = new CounterDataPoint[layers];
        this.maxLoad = new CounterDataPoint[layers];
        this.meanLoad = new CounterDataPoint[layers];
        for (int l = 0; l < layers; l++) {
            String layer = Integer.toString(l);
            tokensPerExpert[l] = histogram.labelValues(model, layer);
            dropped[l] = droppedCounter.labelValues(model, layer);
            rerouted[l] = reroutedCounter.labelValues(model, layer);
            maxLoad[l] = maxCounter.labelValues(model, layer);
            meanLoad[l] = meanCounter.labelValues(model, layer);
        }
        GaugeWithCallback.builder().name("switchyard_moe_load_ratio")
                .help("Busiest expert's rows over the mean, pooled over steps (1 = perfectly even).")
                .labelNames("model", "layer")
                .callback(cb -> {
                    for (int l = 0; l < layers; l++) {
                        double mean = meanLoad[l].get();
                        cb.call(mean > 0 ? maxLoad[l].get() / mean : 0, model, Integer.toString(l));
                    }
                })
                .register(registry);
    }

    private static Counter counter(PrometheusRegistry registry, String name, String help) {
        return Counter.builder().name(name).help(help).labelNames("model", "layer").register(registry);
    }

    @Override
    public void layerDispatched(int layer, int tokens, int k, int[] perExpert, int droppedCount, int reroutedCount) {
        int max = 0;
        for (int count : perExpert) {
            tokensPerExpert[layer].observe(count);
            max = Math.max(max, count);
        }
        double mean = (double) tokens * k / perExpert.length;
        maxLoad[layer].inc(max);
        meanLoad[layer].inc(mean);
        if (droppedCount > 0) {
            dropped[layer].inc(droppedCount);
        }
        if (reroutedCount > 0) {
            rerouted[layer].inc(reroutedCount);
        }
    }
}
