package dev.switchyard.cache.residency;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The device tier: {@code count} equal slots carved from one off-heap arena, each big enough for
 * the largest packed expert. The pool, not Caffeine's weight, is the real budget: a slot is either
 * free here or owned by exactly one {@link Resident}, so nothing is ever overcommitted and a slot in
 * use is never handed out twice.
 */
public final class SlotPool implements AutoCloseable {

    /** Slots start on cache-line boundaries so vector loads of a packed matrix never straddle one needlessly. */
    static final long ALIGNMENT = 64;

    private final Arena arena;
    private final MemorySegment memory;
    private final long slotBytes;
    private final int count;
    private final int[] free;
    private int freeCount;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition returned = lock.newCondition();

    public SlotPool(int count, long slotBytes) {
        if (count < 1 || slotBytes < 1) {
            throw new IllegalArgumentException("a slot pool needs at least one slot of at least one byte");
        }
        this.count = count;
        this.slotBytes = align(slotBytes);
        this.arena = Arena.ofShared();
        this.memory = arena.allocate(Math.multiplyExact(this.slotBytes, count), ALIGNMENT);
        this.free = new int[count];
        for (int i = 0; i < count; i++) {
            free[i] = count - 1 - i; // slot 0 handed out first: easier to read in tests and dumps
        }
        this.freeCount = count;
    }

    static long align(long bytes) {
        return (bytes + ALIGNMENT - 1) & -ALIGNMENT;
    }

    public int count() {
        return count;
    }

    public long slotBytes() {
        return slotBytes;
    }

    public MemorySegment segment(int slot) {
        return memory.asSlice(slot * slotBytes, slotBytes);
    }

    /** A free slot, or -1 when every slot is owned. Never waits. */
    public int tryTake() {
        lock.lock();
        try {
            return freeCount > 0 ? free[--freeCount] : -1;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A free slot, waiting for one to come back if none is. {@code makeRoom} runs before each wait
     * (it lets the cache carry out evictions it has only decided on); the waits are bounded so a
     * return that happened without a signal to us is still seen.
     */
    public int take(Runnable makeRoom) throws InterruptedException {
        while (true) {
            int slot = tryTake();
            if (slot >= 0) {
                return slot;
            }
            makeRoom.run();
            lock.lock();
            try {
                if (freeCount > 0) {
                    return free[--freeCount];
                }
                returned.await(20, TimeUnit.MILLISECONDS);
            } finally {
                lock.unlock();
            }
        }
    }

    public void give(int slot) {
        lock.lock();
        try {
            if (freeCount == count) {
                throw new IllegalStateException("slot " + slot + " returned to a pool with every slot free");
            }
            free[freeCount++] = slot;
            returned.signal();
        } finally {
            lock.unlock();
        }
    }

    public int freeSlots() {
        lock.lock();
        try {
            return freeCount;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
