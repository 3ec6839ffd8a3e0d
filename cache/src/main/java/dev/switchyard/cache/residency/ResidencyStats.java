package dev.switchyard.cache.residency;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the residency cache did, counted as it happens (any thread). Hits, demand misses and the
 * predictor's prefetches are also kept per layer: the first and last layers, which predictors see
 * least well, are where offloading usually hurts, and a predictor's precision and recall are only
 * meaningful layer by layer (layer 0 is never predicted). So are hybrid execution's choices: misses
 * computed on the host (no copy, neither hit nor miss) and misses it chose to copy.
 */
public final class ResidencyStats {

    final LongAdder hits = new LongAdder();
    final LongAdder demandMisses = new LongAdder();
    final LongAdder stallNanos = new LongAdder();
    /** Of stallNanos, waits for experts a prediction was still copying when their layer asked. */
    final LongAdder lateStallNanos = new LongAdder();
    final LongAdder h2dBytes = new LongAdder();
    final LongAdder copyNanos = new LongAdder();
    final LongAdder copies = new LongAdder();
    final LongAdder evictions = new LongAdder();
    final LongAdder prefetchSkipped = new LongAdder();
    private final AtomicLongArray layerHits;
    private final AtomicLongArray layerMisses;
    private final AtomicLongArray layerPrefetchIssued;
    private final AtomicLongArray layerPrefetchUseful;
    private final AtomicLongArray layerHostExperts;
    private final AtomicLongArray layerCopiedExperts;

    ResidencyStats(int layers) {
        layerHits = new AtomicLongArray(layers);
        layerMisses = new AtomicLongArray(layers);
        layerPrefetchIssued = new AtomicLongArray(layers);
        layerPrefetchUseful = new AtomicLongArray(layers);
        layerHostExperts = new AtomicLongArray(layers);
        layerCopiedExperts = new AtomicLongArray(layers);
    }

    void hit(int layer) {
        hits.increment();
        layerHits.incrementAndGet(layer);
    }

    void miss(int layer) {
        demandMisses.increment();
        layerMisses.incrementAndGet(layer);
    }

    /** A prediction started a copy of an expert of {@code layer}. */
    void prefetchIssued(int layer) {
        layerPrefetchIssued.incrementAndGet(layer);
    }

    /** A demand acquire used, for the first time, a copy a prediction started for {@code layer}. */
    void prefetchUseful(int layer) {
        layerPrefetchUseful.incrementAndGet(layer);
    }

    /** Hybrid execution computed a missing expert of {@code layer} on the host: neither hit nor miss. */
    void hostExpert(int layer) {
        layerHostExperts.incrementAndGet(layer);
    }

    /** Hybrid execution chose to copy a missing expert of {@code layer} (the copy's miss is counted as usual). */
    void copiedExpert(int layer) {
        layerCopiedExperts.incrementAndGet(layer);
    }

    /**
     * The link's achieved rate over every copy so far, in bytes per second (pacing included); NaN
     * before the first copy. Read without allocating, for decisions on the hot path.
     */
    public double linkBytesPerSecond() {
        long nanos = copyNanos.sum();
        return nanos > 0 ? h2dBytes.sum() * 1e9 / nanos : Double.NaN;
    }

    public ResidencyCounters snapshot() {
        int layers = layerHits.length();
        long[] lh = new long[layers];
        long[] lm = new long[layers];
        long[] li = new long[layers];
        long[] lu = new long[layers];
        long[] host = new long[layers];
        long[] copied = new long[layers];
        for (int l = 0; l < layers; l++) {
            lh[l] = layerHits.get(l);
            lm[l] = layerMisses.get(l);
            li[l] = layerPrefetchIssued.get(l);
            lu[l] = layerPrefetchUseful.get(l);
            host[l] = layerHostExperts.get(l);
            copied[l] = layerCopiedExperts.get(l);
        }
        return new ResidencyCounters(hits.sum(), demandMisses.sum(), stallNanos.sum() / 1e9,
                lateStallNanos.sum() / 1e9, h2dBytes.sum(),
                copyNanos.sum() / 1e9, copies.sum(), evictions.sum(), prefetchSkipped.sum(), lh, lm, li, lu, host, copied);
    }
}
