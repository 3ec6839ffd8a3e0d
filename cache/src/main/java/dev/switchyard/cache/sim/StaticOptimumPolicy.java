package dev.switchyard.cache.sim;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * The best fixed set: the experts the whole stream uses most, chosen in hindsight, each loaded on
 * its first use and never evicted; every other expert is kept out. It knows only how often each
 * expert is used, not when, which makes it the yardstick for policies that learn from frequencies
 * (Belady's optimum also knows the order, which no online policy can).
 */
public final class StaticOptimumPolicy implements Policy {

    private final boolean[] chosen;
    private final boolean[] loaded;
    private final PolicyStats stats = new PolicyStats();

    public StaticOptimumPolicy(int capacity, AccessStream stream) {
        int keys = stream.keySpace();
        long[] uses = new long[keys];
        for (int i = 0; i < stream.size(); i++) {
            uses[stream.key(i)]++;
        }
        this.chosen = new boolean[keys];
        this.loaded = new boolean[keys];
        // most used first, equal counts by key: the same set on every replay
        int[] ranked = IntStream.range(0, keys).boxed()
                .sorted(Comparator.<Integer>comparingLong(k -> -uses[k]).thenComparingInt(k -> k))
                .mapToInt(Integer::intValue).toArray();
        Arrays.stream(ranked, 0, Math.min(capacity, keys)).forEach(k -> chosen[k] = true);
    }

    @Override
    public boolean access(int key) {
        if (loaded[key]) {
            stats.hit();
            return true;
        }
        stats.miss();
        loaded[key] = chosen[key];
        return false;
    }

    @Override
    public PolicyStats stats() {
        return stats;
    }
}
