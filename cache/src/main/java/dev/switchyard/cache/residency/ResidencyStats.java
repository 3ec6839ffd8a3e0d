package dev.switchyard.cache.residency;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the residency cache did, counted as it happens (any thread). Hits, demand misses and the
 * predictor's prefetches are also kept per layer: the first and last layers, which predictors see
 * least well, are where offloading usually hurts, and a predictor's precision and recall are only
 * meaningful layer by layer (layer 0 is never predicted).
 */
public final class ResidencyStats {

    final LongAdder hits = new LongAdder();
    final LongAdder demandMisses = new LongAdder();
    final LongAdder stallNanos = new LongAdder();
    final LongAdder h2dBytes = new LongAdder();
    final LongAdder copyNanos = new LongAdder();
    final LongAdder copies = new LongAdder();
    final LongAdder evictions = new LongAdder();
    final LongAdder prefetchSkipped = new LongAdder();
    private final AtomicLongArray layerHits;
    private final AtomicLongArray layerMisses;
    private final AtomicLongArray layerPrefetchIssued;
    private final AtomicLongArray layerPrefetchUseful;

    ResidencyStats(int layers) {
        layerHits = new AtomicLongArray(layers);
        layerMisses = new AtomicLongArray(layers);
        layerPrefetchIssued = new AtomicLongArray(layers);
        layerPrefetchUseful = new AtomicLongArray(layers);
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

    public ResidencyCounters snapshot() {
        int layers = layerHits.length();
        long[] lh = new long[layers];
        long[] lm = new long[layers];
        long[] li = new long[layers];
        long[] lu = new long[layers];
        for (int l = 0; l < layers; l++) {
            lh[l] = layerHits.get(l);
            lm[l] = layerMisses.get(l);
            li[l] = layerPrefetchIssued.get(l);
            lu[l] = layerPrefetchUseful.get(l);
        }
        return new ResidencyCounters(hits.sum(), demandMisses.sum(), stallNanos.sum() / 1e9, h2dBytes.sum(),
                copyNanos.sum() / 1e9, copies.sum(), evictions.sum(), prefetchSkipped.sum(), lh, lm, li, lu);
    }
}
