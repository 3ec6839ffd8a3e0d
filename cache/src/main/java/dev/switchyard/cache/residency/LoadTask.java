package dev.switchyard.cache.residency;

import dev.switchyard.cache.ExpertKey;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One host-to-device copy, and the future the cache holds for it (the same object, so whoever finds
 * an in-flight entry can promote its copy). Completes with the {@link Resident}, or with null when a
 * prediction found no free slot and was dropped (Caffeine then drops the entry).
 */
final class LoadTask extends CompletableFuture<Resident> {

    enum Kind {
        /** A compute thread waits for it: may wait for a slot, and holds a reference for that thread. */
        DEMAND,
        /**
         * Needed by the layer now computing, copied while earlier experts compute: never waits for a
         * slot; holds a reference for that layer's acquire.
         */
        AHEAD,
        /** Predicted for a later layer: never waits for a slot. */
        PREFETCH
    }

    final ExpertKey key;
    final Kind kind;
    private volatile boolean promoted;
    private final AtomicBoolean claimed = new AtomicBoolean();

    LoadTask(ExpertKey key, Kind kind) {
        this.key = key;
        this.kind = kind;
    }

    /** Whether the copy may wait for a slot: a compute thread is, or will be, waiting for it. */
    boolean mayWait() {
        return kind == Kind.DEMAND || promoted;
    }

    /**
     * References the new resident starts with: the cache's, plus the demanding thread's, or the one
     * reserved for the acquire of the layer that asked for it ahead.
     */
    int initialReferences() {
        return kind == Kind.PREFETCH ? 1 : 2;
    }

    /**
     * A compute thread now waits for this speculative copy: from now on it may wait for a slot.
     * True if the copy is not running, so the caller should queue it as a demand.
     */
    boolean promote() {
        promoted = true;
        return !claimed.get();
    }

    boolean promoted() {
        return promoted;
    }

    /**
     * The copy thread found no slot for this copy and leaves it, unrun and still in the cache, for
     * its layer's acquire to promote (a copy the layer asked for ahead is not dropped: dropping it
     * would enter the expert into the cache a second time, which Caffeine counts as a second use).
     * Whoever promoted it meanwhile sees it unclaimed, or is seen by the copy thread: each writes
     * its flag before reading the other's.
     */
    void park() {
        claimed.set(false);
    }

    /** The one run of this copy; false if another queue already ran it. */
    boolean claim() {
        return claimed.compareAndSet(false, true);
    }
}
