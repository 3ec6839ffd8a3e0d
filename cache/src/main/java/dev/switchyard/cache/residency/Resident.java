package dev.switchyard.cache.residency;

import dev.switchyard.cache.ExpertKey;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One copy of one expert in one slot, and who holds it. The cache holds one reference while the
 * entry is in it; every kernel that computes with the expert holds one from acquire to release.
 * When the count reaches zero the slot goes back to the pool, and this object is dead for good: a
 * reload makes a new one, so a stale handle can never be revived onto a slot that now holds another
 * expert.
 */
public final class Resident {

    private final ExpertKey key;
    private final int slot;
    private final MemorySegment memory;
    private final SlotPool pool;
    private final boolean prefetched;
    private final AtomicInteger references;
    private final AtomicBoolean used = new AtomicBoolean();

    Resident(ExpertKey key, int slot, MemorySegment memory, SlotPool pool, boolean prefetched, int references) {
        this.key = key;
        this.slot = slot;
        this.memory = memory;
        this.pool = pool;
        this.prefetched = prefetched;
        this.references = new AtomicInteger(references);
    }

    public ExpertKey key() {
        return key;
    }

    public int layer() {
        return key.layer();
    }

    public int expert() {
        return key.expert();
    }

    /** The pool slot; slots of one pool are numbered 0 .. count-1. */
    public int slot() {
        return slot;
    }

    /**
     * The packed expert, its matrices back to back at {@link PackedExpert} offsets, where the tier
     * is host memory; {@link MemorySegment#NULL} where it is device memory.
     */
    public MemorySegment memory() {
        return memory;
    }

    /** Adds a reference unless the count already reached zero (the slot may hold another expert by now). */
    boolean tryRetain() {
        int n;
        do {
            n = references.get();
            if (n <= 0) {
                return false;
            }
        } while (!references.compareAndSet(n, n + 1));
        return true;
    }

    void release() {
        int n = references.decrementAndGet();
        if (n == 0) {
            pool.give(slot);
        } else if (n < 0) {
            throw new IllegalStateException(key + " released more often than retained");
        }
    }

    int references() {
        return references.get();
    }

    /** True the first time a demand acquire uses a copy that a prediction brought in. */
    boolean firstUseOfPrefetch() {
        return prefetched && used.compareAndSet(false, true);
    }

    @Override
    public String toString() {
        return key + "@slot" + slot;
    }
}
