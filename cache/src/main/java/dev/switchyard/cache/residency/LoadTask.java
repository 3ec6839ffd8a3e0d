package dev.switchyard.cache.residency;

import dev.switchyard.cache.ExpertKey;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One host-to-device copy, and the future the cache holds for it (the same object, so whoever finds
 * an in-flight entry can promote its copy). Completes with the {@link Resident}, or with null when a
 * speculative copy found no free slot and was dropped (Caffeine then drops the entry).
 */
final class LoadTask extends CompletableFuture<Resident> {

    enum Kind {
        /** A compute thread waits for it: may wait for a slot, and holds a reference for that thread. */
        DEMAND,
        /** Needed by the layer now computing, copied while earlier experts compute: never waits for a slot. */
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

    /** References the new resident starts with: the cache's, plus the demanding thread's. */
    int initialReferences() {
        return kind == Kind.DEMAND ? 2 : 1;
    }

    /** A compute thread now waits for this speculative copy; true if it has not started yet. */
    boolean promote() {
        if (claimed.get()) {
            return false;
        }
        promoted = true;
        return true;
    }

    /** The one run of this copy; false if another queue already ran it. */
    boolean claim() {
        return claimed.compareAndSet(false, true);
    }
}
