package dev.switchyard.cache.residency;

import java.util.Arrays;

/**
 * A snapshot of {@link ResidencyStats}; {@link #minus} gives what one run added.
 *
 * @param hits                demand acquisitions whose expert was resident, or already on its way
 *                            by a prediction, when its layer asked for it
 * @param demandMisses        demand acquisitions whose expert was neither: its copy started because
 *                            the layer routed to it (whether or not the layer then waited for it)
 * @param stallSeconds        time compute threads waited for copies
 * @param lateStallSeconds    of that, time they waited for experts a prediction was still copying
 *                            (hits that came late)
 * @param copySeconds         time the copy thread spent copying (pacing included): bytes over this is
 *                            the link bandwidth achieved
 * @param prefetchSkipped     predicted loads dropped because no slot was free (a prefetch never waits)
 * @param layerPrefetchIssued per layer, copies a prediction started for an expert of that layer
 * @param layerPrefetchUseful per layer, those copies a demand acquire then used (counted at the first
 *                            use, however late)
 * @param layerHostExperts    per layer, experts hybrid execution computed on the host from host memory
 *                            instead of copying them (no copy started: neither a hit nor a miss)
 * @param layerCopiedExperts  per layer, missing experts hybrid execution chose to copy (each also a
 *                            demand miss); both zero without hybrid execution
 */
public record ResidencyCounters(long hits, long demandMisses, double stallSeconds, double lateStallSeconds, long h2dBytes,
                                double copySeconds, long copies, long evictions, long prefetchSkipped,
                                long[] layerHits, long[] layerMisses, long[] layerPrefetchIssued,
                                long[] layerPrefetchUseful, long[] layerHostExperts, long[] layerCopiedExperts) {

    public ResidencyCounters minus(ResidencyCounters before) {
        return new ResidencyCounters(hits - before.hits, demandMisses - before.demandMisses,
                stallSeconds - before.stallSeconds, lateStallSeconds - before.lateStallSeconds,
                h2dBytes - before.h2dBytes, copySeconds - before.copySeconds,
                copies - before.copies, evictions - before.evictions, prefetchSkipped - before.prefetchSkipped,
                minus(layerHits, before.layerHits), minus(layerMisses, before.layerMisses),
                minus(layerPrefetchIssued, before.layerPrefetchIssued),
                minus(layerPrefetchUseful, before.layerPrefetchUseful),
                minus(layerHostExperts, before.layerHostExperts), minus(layerCopiedExperts, before.layerCopiedExperts));
    }

    private static long[] minus(long[] after, long[] before) {
        long[] d = after.clone();
        for (int l = 0; l < d.length; l++) {
            d[l] -= before[l];
        }
        return d;
    }

    public int layers() {
        return layerHits.length;
    }

    /** Copies predictions started, all layers. */
    public long prefetchIssued() {
        return Arrays.stream(layerPrefetchIssued).sum();
    }

    /** Of those, the ones a demand acquire used, all layers. */
    public long prefetchUseful() {
        return Arrays.stream(layerPrefetchUseful).sum();
    }

    /** Experts hybrid execution computed on the host, all layers. */
    public long hostExperts() {
        return Arrays.stream(layerHostExperts).sum();
    }

    /** Missing experts hybrid execution chose to copy, all layers. */
    public long copiedExperts() {
        return Arrays.stream(layerCopiedExperts).sum();
    }

    /** Hits over demand acquisitions; NaN before the first. */
    public double hitRate() {
        long all = hits + demandMisses;
        return all == 0 ? Double.NaN : (double) hits / all;
    }

    /**
     * The predictor's precision at {@code layer}: useful prefetches over prefetches issued for the
     * layer. NaN while nothing was issued for it (always so for layer 0, which nothing precedes).
     */
    public double prefetchPrecision(int layer) {
        long issued = layerPrefetchIssued[layer];
        return issued == 0 ? Double.NaN : (double) layerPrefetchUseful[layer] / issued;
    }

    /**
     * The predictor's recall at {@code layer}: of the experts the layer demanded, the share a
     * prediction had already brought or was bringing (useful prefetches over demand acquisitions).
     * An expert predicted while already resident issues no copy and earns nothing here: recall
     * measures the misses predictions turned into hits. NaN before the layer's first acquisition.
     */
    public double prefetchRecall(int layer) {
        long demanded = layerHits[layer] + layerMisses[layer];
        return demanded == 0 ? Double.NaN : (double) layerPrefetchUseful[layer] / demanded;
    }

    /**
     * The least time compute could have waited for its demand misses: each miss's copy at the link
     * rate achieved, one after another (the mean copy's time, as a copy's bytes over that rate). A
     * stall close to it means demand copies waited for nothing but the link; well above it, for
     * copies ahead of them (predictions in flight) or for slots. NaN before the first copy.
     */
    public double linkBoundStallSeconds() {
        return copies > 0 ? demandMisses * copySeconds / copies : Double.NaN;
    }

    /** {@link #stallSeconds} over {@link #linkBoundStallSeconds}; NaN where there was no demand miss or copy. */
    public double stallOverLinkBound() {
        double bound = linkBoundStallSeconds();
        return bound > 0 ? stallSeconds / bound : Double.NaN;
    }

    /**
     * The stall on demand misses alone (the late predictions' share taken out) over
     * {@link #linkBoundStallSeconds}: how well demand copies are served, apart from how timely the
     * predictions were. NaN where there was no demand miss or copy.
     */
    public double demandStallOverLinkBound() {
        double bound = linkBoundStallSeconds();
        return bound > 0 ? (stallSeconds - lateStallSeconds) / bound : Double.NaN;
    }

    /** Achieved host-to-device bandwidth in bytes per second; NaN before the first copy. */
    public double linkBytesPerSecond() {
        return copySeconds > 0 ? h2dBytes / copySeconds : Double.NaN;
    }
}
