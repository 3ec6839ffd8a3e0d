package dev.switchyard.cache.sim;

/** Least recently used: what mixtral-offloading keeps per layer, here over all layers at once. */
public final class LruPolicy implements Policy {

    private final int capacity;
    private final LruList order;
    private final PolicyStats stats = new PolicyStats();

    public LruPolicy(int capacity, int keySpace) {
        this.capacity = capacity;
        this.order = new LruList(keySpace);
    }

    @Override
    public boolean access(int key) {
        if (order.contains(key)) {
            stats.hit();
            order.touch(key);
            return true;
        }
        stats.miss();
        if (order.size() == capacity) {
            order.remove(order.eldest());
            stats.eviction();
        }
        order.touch(key);
        return false;
    }

    @Override
    public PolicyStats stats() {
        return stats;
    }
}
