package dev.switchyard.cache.sim;

import java.util.LinkedHashMap;
import java.util.Map;

/** Every policy by its command-line name, with how to build it: no reflection, no discovery. */
public final class Policies {

    /** What a policy may be built from. */
    public record Setup(int capacity, AccessStream stream) {
        public Setup {
            if (capacity < 1) {
                throw new IllegalArgumentException("a cache holds at least one expert");
            }
        }
    }

    /** Builds one policy for one replay. */
    @FunctionalInterface
    public interface Factory {
        Policy create(Setup setup);
    }

    /** A policy's factory and whether it takes prefetch hints (it then needs a predictor). */
    public record Entry(String name, Factory factory, boolean prefetching, String description) {
    }

    private static final Map<String, Entry> REGISTRY = new LinkedHashMap<>();

    static {
        add(new Entry("lru", s -> new LruPolicy(s.capacity(), s.stream().keySpace()), false,
                "least recently used"));
        add(new Entry("lfu", s -> new LfuPolicy(s.capacity(), s.stream().keySpace()), false,
                "least frequently used among resident experts"));
        add(new Entry("caffeine", s -> new CaffeinePolicy(s.capacity(), s.stream().keySpace(),
                s.stream().header().experts()), false, "the live cache: Caffeine (W-TinyLFU) as the residency configures it"));
        add(new Entry("nextuse", s -> new NextUsePolicy(s.capacity(), s.stream().header().layers(),
                s.stream().header().experts(), s.stream().header().topK()), false,
                "evicts the expert with the longest expected wait until its next use (layer cycle + pick rates)"));
        add(new Entry("predictive", s -> new PredictivePolicy(s.capacity(), s.stream().keySpace(),
                s.stream().header().experts()), true,
                "LRU plus the predictor's prefetches"));
        add(new Entry("static-opt", s -> new StaticOptimumPolicy(s.capacity(), s.stream()), false,
                "the stream's most used experts, fixed (knows how often each is used, not when)"));
        add(new Entry("opt", s -> new ClairvoyantPolicy(s.capacity(), s.stream()), false,
                "Belady's optimum for demand caching (knows the future)"));
    }

    private Policies() {
    }

    private static void add(Entry e) {
        REGISTRY.put(e.name(), e);
    }

    public static Entry get(String name) {
        Entry e = REGISTRY.get(name);
        if (e == null) {
            throw new IllegalArgumentException("unknown policy '" + name + "' (choose from " + names() + ")");
        }
        return e;
    }

    public static boolean exists(String name) {
        return REGISTRY.containsKey(name);
    }

    public static String names() {
        return String.join(", ", REGISTRY.keySet());
    }
}
