package dev.switchyard.cache.residency;

/**
 * A snapshot of {@link ResidencyStats}; {@link #minus} gives what one run added.
 *
 * @param stallSeconds    time compute threads waited for demand copies
 * @param copySeconds     time the copy thread spent copying (pacing included): bytes over this is
 *                        the link bandwidth achieved
 * @param prefetchSkipped predicted loads dropped because no slot was free (a prefetch never waits)
 */
public record ResidencyCounters(long hits, long demandMisses, double stallSeconds, long h2dBytes,
                                double copySeconds, long copies, long evictions, long prefetchIssued,
                                long prefetchUseful, long prefetchSkipped, long[] layerHits, long[] layerMisses) {

    public ResidencyCounters minus(ResidencyCounters before) {
        long[] lh = layerHits.clone();
        long[] lm = layerMisses.clone();
        for (int l = 0; l < lh.length; l++) {
            lh[l] -= before.layerHits[l];
            lm[l] -= before.layerMisses[l];
        }
        return new ResidencyCounters(hits - before.hits, demandMisses - before.demandMisses,
                stallSeconds - before.stallSeconds, h2dBytes - before.h2dBytes, copySeconds - before.copySeconds,
                copies - before.copies, evictions - before.evictions, prefetchIssued - before.prefetchIssued,
                prefetchUseful - before.prefetchUseful, prefetchSkipped - before.prefetchSkipped, lh, lm);
    }

    /** Hits over demand acquisitions; NaN before the first. */
    public double hitRate() {
        long all = hits + demandMisses;
        return all == 0 ? Double.NaN : (double) hits / all;
    }

    /** Achieved host-to-device bandwidth in bytes per second; NaN before the first copy. */
    public double linkBytesPerSecond() {
        return copySeconds > 0 ? h2dBytes / copySeconds : Double.NaN;
    }
}
