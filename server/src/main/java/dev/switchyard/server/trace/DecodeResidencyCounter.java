package dev.switchyard.server.trace;

import dev.switchyard.cache.residency.ResidencyCounters;
import dev.switchyard.cache.residency.ResidencyStats;
import dev.switchyard.engine.forward.RoutingObserver;
import dev.switchyard.engine.forward.StepBatch;
import dev.switchyard.kernels.FloatMatrix;

/**
 * The live residency cache's hits and misses over decode steps only, as the simulator counts them
 * (prefill steps warm its cache but are not counted): the cache's counters are read as each step's
 * first layer routes, before that step acquires any expert, and what a step added is kept when the
 * step was pure decode. Steps run one at a time on one thread, so the split is exact.
 */
public final class DecodeResidencyCounter implements RoutingObserver {

    private final ResidencyStats stats;
    private ResidencyCounters stepStart;
    private boolean stepIsPrefill;
    private long hits;
    private long misses;

    public DecodeResidencyCounter(ResidencyStats stats) {
        this.stats = stats;
    }

    @Override
    public void onRouting(int layer, StepBatch batch, int[] experts, int k, FloatMatrix residual) {
        if (layer != 0) {
            return;
        }
        ResidencyCounters now = stats.snapshot();
        endStep(now);
        stepStart = now;
        stepIsPrefill = false;
        for (int i = 0; i < batch.tokens(); i++) {
            stepIsPrefill |= !batch.isGenerated(i);
        }
    }

    private void endStep(ResidencyCounters now) {
        if (stepStart != null && !stepIsPrefill) {
            ResidencyCounters step = now.minus(stepStart);
            hits += step.hits();
            misses += step.demandMisses();
        }
        stepStart = null;
    }

    /** Counts the last step; call once generation is over. */
    public void finish() {
        endStep(stats.snapshot());
    }

    public long hits() {
        return hits;
    }

    public long misses() {
        return misses;
    }

    /** Hits over decode acquisitions; NaN before the first. */
    public double hitRate() {
        long all = hits + misses;
        return all == 0 ? Double.NaN : (double) hits / all;
    }
}
