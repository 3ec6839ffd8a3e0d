package dev.switchyard.engine.forward;

import dev.switchyard.cache.predict.Predictors;
import dev.switchyard.cache.residency.ExpertMemory;

/**
 * How routed experts are offloaded: the device tier's size, the link's bandwidth, the predictor and
 * how many layers ahead it prefetches, and whether misses may be computed on the host. Absent (null)
 * everywhere means no offloading: every expert is used in place from the mapped file.
 *
 * @param linkBytesPerSecond the rate copies are paced to; 0 unpaced; {@link #DEVICE_LINK} as the
 *                           device has it
 * @param predictor          none, gate, affinity or combined
 * @param prefetchDepth      layers ahead to prefetch (ignored with predictor none)
 * @param hybrid             hybrid execution: a missing expert whose copy would take longer than
 *                           computing it on the host is computed there, from host memory, and not
 *                           copied (see {@link HybridCostModel})
 */
public record ExpertOffload(ExpertMemory memory, double linkBytesPerSecond, String predictor, int prefetchDepth,
                            boolean hybrid) {

    /**
     * The device's own link: on the CPU backend, which has none, a modeled PCIe link of
     * {@link #MODELED_LINK}; on a GPU the real one, unpaced (an explicit rate there paces copies,
     * which matters only where it is below the link's).
     */
    public static final double DEVICE_LINK = -1;

    /** The link the CPU backend models unless told otherwise: 25 GB/s, about PCIe 4.0 x16 in practice. */
    public static final double MODELED_LINK = 25e9;

    /** Without hybrid execution: every expert computed on the device, misses copied. */
    public ExpertOffload(ExpertMemory memory, double linkBytesPerSecond, String predictor, int prefetchDepth) {
        this(memory, linkBytesPerSecond, predictor, prefetchDepth, false);
    }

    public ExpertOffload {
        if (!(linkBytesPerSecond >= 0 || linkBytesPerSecond == DEVICE_LINK)) {
            throw new IllegalArgumentException("link bandwidth must be positive, or 0 for unlimited: " + linkBytesPerSecond);
        }
        if (!Predictors.NONE.equals(predictor) && !"gate".equals(predictor) && !"affinity".equals(predictor)
                && !"combined".equals(predictor)) {
            throw new IllegalArgumentException("unknown predictor '" + predictor + "' (choose from none, gate, affinity, combined)");
        }
        if (prefetchDepth < 0) {
            throw new IllegalArgumentException("prefetch depth must be 0 or more: " + prefetchDepth);
        }
    }

    /** The rate to pace copies to over a real link (a GPU's) or a modeled one (the CPU's); 0: unpaced. */
    public double pacedBytesPerSecond(boolean realLink) {
        if (linkBytesPerSecond != DEVICE_LINK) {
            return linkBytesPerSecond;
        }
        return realLink ? 0 : MODELED_LINK;
    }

    public boolean predicts() {
        return !Predictors.NONE.equals(predictor) && prefetchDepth > 0;
    }
}
