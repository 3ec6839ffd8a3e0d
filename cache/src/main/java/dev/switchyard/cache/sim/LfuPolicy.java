package dev.switchyard.cache.sim;

import java.util.Comparator;
import java.util.TreeSet;

/**
 * Least frequently used among resident experts (counts start over when an expert is evicted, as
 * in Caffeine's simulator's in-cache LFU); equal counts evict the least recently used. Routers
 * are unbalanced, so some experts stay hot for a whole run: the case LFU is built for.
 */
public final class LfuPolicy implements Policy {

    private final int capacity;
    private final long[] frequency;
    private final long[] lastAccess;
    private final boolean[] resident;
    /** Resident keys, least frequent (then least recent) first. A key's fields change only while it is out. */
    private final TreeSet<Integer> order;
    private long clock;
    private final PolicyStats stats = new PolicyStats();

    public LfuPolicy(int capacity, int keySpace) {
        this.capacity = capacity;
        this.frequency = new long[keySpace];
        this.lastAccess = new long[keySpace];
        this.resident = new boolean[keySpace];
        this.order = new TreeSet<>(Comparator.<Integer>comparingLong(k -> frequency[k])
                .thenComparingLong(k -> lastAccess[k]));
    }

    @Override
    public boolean access(int key) {
        clock++;
        if (resident[key]) {
            stats.hit();
            order.remove(key);
            frequency[key]++;
            lastAccess[key] = clock;
            order.add(key);
            return true;
        }
        stats.miss();
        if (order.size() == capacity) {
            int victim = order.pollFirst();
            resident[victim] = false;
            stats.eviction();
        }
        resident[key] = true;
        frequency[key] = 1;
        lastAccess[key] = clock;
        order.add(key);
        return false;
    }

    @Override
    public PolicyStats stats() {
        return stats;
    }
}
