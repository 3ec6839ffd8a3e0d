package dev.switchyard.engine.forward;

import dev.switchyard.cache.predict.Predictors;
import dev.switchyard.cache.residency.ExpertMemory;

/**
 * How routed experts are offloaded: the device tier's size, the link's bandwidth, the predictor and
 * how many layers ahead it prefetches. Absent (null) everywhere means no offloading: every expert
 * is used in place from the mapped file.
 *
 * @param linkBytesPerSecond 0 copies at memory speed
 * @param predictor          none, gate, affinity or combined
 * @param prefetchDepth      layers ahead to prefetch (ignored with predictor none)
 */
public record ExpertOffload(ExpertMemory memory, double linkBytesPerSecond, String predictor, int prefetchDepth) {

    public ExpertOffload {
        if (!Predictors.NONE.equals(predictor) && !"gate".equals(predictor) && !"affinity".equals(predictor)
                && !"combined".equals(predictor)) {
            throw new IllegalArgumentException("unknown predictor '" + predictor + "' (choose from none, gate, affinity, combined)");
        }
        if (prefetchDepth < 0) {
            throw new IllegalArgumentException("prefetch depth must be 0 or more: " + prefetchDepth);
        }
    }

    public boolean predicts() {
        return !Predictors.NONE.equals(predictor) && prefetchDepth > 0;
    }
}
