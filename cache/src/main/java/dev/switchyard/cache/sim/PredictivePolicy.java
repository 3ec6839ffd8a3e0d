package dev.switchyard.cache.sim;

/**
 * Prefetch into an LRU cache: a predictor's proposals for the next layers are copied in ahead of
 * need and placed as most recent; demand misses are handled as plain LRU handles them. What this
 * adds over LRU is visible in two counts: useful prefetches (a demand access found the expert
 * because of one) and wasted ones (evicted, or left at the end, without serving an access), each
 * a whole expert's bytes over the link.
 *
 * <p>A prefetch never evicts an expert the current layer has accessed: that expert is computing. If
 * the only candidate is such an expert the hint is dropped. A prefetched expert whose layer has
 * come and gone without using it was a wrong guess: it moves to the eviction end at once rather
 * than pushing out experts that later tokens will want (without this, wrong guesses cost a
 * second time as evicted hits).
 */
public final class PredictivePolicy implements Policy {

    private final int capacity;
    private final LruList order;
    private final boolean[] prefetchedUnused;
    private final long[] accessedInLayer; // per key: the layer stamp of its last demand access
    private long layer;
    private final PolicyStats stats = new PolicyStats();

    private final int experts;
    private int previousLayer = -1;

    public PredictivePolicy(int capacity, int keySpace, int experts) {
        this.capacity = capacity;
        this.experts = experts;
        this.order = new LruList(keySpace);
        this.prefetchedUnused = new boolean[keySpace];
        this.accessedInLayer = new long[keySpace];
    }

    @Override
    public void beginLayer(int modelLayer) {
        layer++;
        if (previousLayer >= 0) {
            int from = previousLayer * experts;
            for (int key = from; key < from + experts; key++) {
                if (prefetchedUnused[key]) {
                    order.demote(key);
                }
            }
        }
        previousLayer = modelLayer;
    }

    @Override
    public boolean access(int key) {
        accessedInLayer[key] = layer;
        if (order.contains(key)) {
            stats.hit();
            if (prefetchedUnused[key]) {
                prefetchedUnused[key] = false;
                stats.usefulPrefetch();
            }
            order.touch(key);
            return true;
        }
        stats.miss();
        if (order.size() == capacity) {
            evict(order.eldest());
        }
        order.touch(key);
        return false;
    }

    @Override
    public boolean prefetch(int key) {
        if (order.contains(key)) {
            order.touch(key); // predicted again: keep it, no copy needed
            return false;
        }
        if (order.size() == capacity) {
            int victim = order.eldest();
            if (accessedInLayer[victim] == layer) {
                return false;
            }
            evict(victim);
        }
        order.touch(key);
        prefetchedUnused[key] = true;
        stats.prefetch();
        return true;
    }

    private void evict(int key) {
        order.remove(key);
        stats.eviction();
        if (prefetchedUnused[key]) {
            prefetchedUnused[key] = false;
            stats.wastedPrefetch();
        }
    }

    @Override
    public void finish() {
        for (int key = 0; key < prefetchedUnused.length; key++) {
            if (prefetchedUnused[key]) {
                prefetchedUnused[key] = false;
                stats.wastedPrefetch();
            }
        }
    }

    @Override
    public PolicyStats stats() {
        return stats;
    }
}
