package dev.switchyard.cache.sim;

/**
 * A residency policy under replay, as in Caffeine's simulator: it sees each demand access (a dense
 * expert key) and says whether the expert was resident. A policy that prefetches also receives
 * hints; demand policies ignore them. Each policy counts its own events in {@link #stats()}.
 */
public interface Policy {

    /** A demand access; true when the expert was resident (its copy may still be in flight). */
    boolean access(int key);

    /**
     * Layer {@code layer}'s accesses are about to begin, so the layer before it is done (policies
     * that must not evict the current layer's experts, or that judge prefetches, use this).
     */
    default void beginLayer(int layer) {
    }

    /** A prefetch hint; true when it starts a copy. Demand-only policies return false. */
    default boolean prefetch(int key) {
        return false;
    }

    /** The trace is over: settle what is still pending (prefetches never used). */
    default void finish() {
    }

    PolicyStats stats();
}
