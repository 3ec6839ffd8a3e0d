package dev.switchyard.cache.sim;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.switchyard.cache.ExpertKey;

/**
 * A real Caffeine cache (W-TinyLFU: a small LRU window, a frequency sketch deciding which
 * candidate deserves a main-space slot), the library the live residency cache is built on.
 * Maintenance runs on the calling thread and {@code cleanUp()} follows every write, so evictions
 * happen in access order and a replay repeats. Hits and misses are counted here, not with
 * Caffeine's own statistics, so every policy counts alike. TinyLFU may turn a newcomer away: that
 * counts as a miss whose expert is used once and not kept.
 */
public final class CaffeinePolicy implements Policy {

    private final Cache<ExpertKey, Boolean> cache;
    private final ExpertKey[] keys;
    private final PolicyStats stats = new PolicyStats();

    public CaffeinePolicy(int capacity, int keySpace, int experts) {
        this.cache = Caffeine.newBuilder()
                .maximumSize(capacity)
                .executor(Runnable::run)
                .build();
        this.keys = new ExpertKey[keySpace];
        for (int i = 0; i < keySpace; i++) {
            keys[i] = ExpertKey.ofIndex(i, experts);
        }
    }

    @Override
    public boolean access(int key) {
        ExpertKey k = keys[key];
        if (cache.getIfPresent(k) != null) {
            stats.hit();
            return true;
        }
        stats.miss();
        cache.put(k, Boolean.TRUE);
        cache.cleanUp();
        return false;
    }

    @Override
    public PolicyStats stats() {
        return stats;
    }
}
