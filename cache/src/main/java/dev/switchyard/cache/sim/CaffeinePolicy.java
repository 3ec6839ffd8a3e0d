package dev.switchyard.cache.sim;

import com.github.benmanes.caffeine.cache.AsyncCache;
import dev.switchyard.cache.ExpertCaches;
import dev.switchyard.cache.ExpertKey;
import java.util.concurrent.CompletableFuture;

/**
 * The live residency cache's policy: a real Caffeine cache (W-TinyLFU: a small LRU window, a
 * frequency sketch deciding which candidate deserves a main-space slot), built by
 * {@link ExpertCaches} exactly as the live one is and used the same way: a lookup, and on a miss a
 * copy entered in flight (weighing nothing) and then completed. Maintenance runs on the calling
 * thread and follows every miss, so evictions happen in access order. Hits and misses are counted
 * here, not with Caffeine's own statistics, so every policy counts alike. TinyLFU may turn a
 * newcomer away: that counts as a miss whose expert is used once and not kept, as live.
 *
 * <p>Replays of one trace differ a little: to resist hash flooding, Caffeine admits a candidate
 * that lost to its victim at random (1 in 128) once the candidate is warm (seen 6 times), and
 * experts are hot keys. Over the bench model's traces the hit rate varies by about half a point
 * (one standard deviation) from replay to replay.
 */
public final class CaffeinePolicy implements Policy {

    private final AsyncCache<ExpertKey, Boolean> cache;
    private final ExpertKey[] keys;
    private final PolicyStats stats = new PolicyStats();

    public CaffeinePolicy(int capacity, int keySpace, int experts) {
        this.cache = ExpertCaches.<Boolean>bounded(capacity)
                .evictionListener((key, value, cause) -> stats.eviction())
                .buildAsync();
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
        CompletableFuture<Boolean> copy = new CompletableFuture<>();
        cache.get(k, (ignored, executor) -> copy);
        copy.complete(Boolean.TRUE);
        cache.synchronous().cleanUp();
        return false;
    }

    @Override
    public PolicyStats stats() {
        return stats;
    }
}
