package dev.switchyard.cache.sim;

/**
 * What a policy did, counted only while {@link #recording} (the simulator turns it off for prefill
 * steps, which warm the cache but are not what decode figures measure).
 */
public final class PolicyStats {

    private boolean recording = true;
    private long hits;
    private long misses;
    private long evictions;
    private long prefetches;
    private long usefulPrefetches;
    private long wastedPrefetches;

    public void recording(boolean on) {
        recording = on;
    }

    public void hit() {
        if (recording) {
            hits++;
        }
    }

    public void miss() {
        if (recording) {
            misses++;
        }
    }

    public void eviction() {
        if (recording) {
            evictions++;
        }
    }

    public void prefetch() {
        if (recording) {
            prefetches++;
        }
    }

    /** A prefetched expert served a demand access before it was evicted. */
    public void usefulPrefetch() {
        if (recording) {
            usefulPrefetches++;
        }
    }

    /** A prefetched expert left the cache (or the trace ended) without serving anyone. */
    public void wastedPrefetch() {
        if (recording) {
            wastedPrefetches++;
        }
    }

    public long hits() {
        return hits;
    }

    public long misses() {
        return misses;
    }

    public long accesses() {
        return hits + misses;
    }

    public long evictions() {
        return evictions;
    }

    public long prefetches() {
        return prefetches;
    }

    public long usefulPrefetches() {
        return usefulPrefetches;
    }

    public long wastedPrefetches() {
        return wastedPrefetches;
    }

    public double hitRate() {
        return accesses() == 0 ? Double.NaN : (double) hits / accesses();
    }

    public double missRate() {
        return accesses() == 0 ? Double.NaN : (double) misses / accesses();
    }

    /** Useful prefetches over prefetches issued; NaN for a policy that never prefetched. */
    public double prefetchPrecision() {
        return prefetches == 0 ? Double.NaN : (double) usefulPrefetches / prefetches;
    }
}
