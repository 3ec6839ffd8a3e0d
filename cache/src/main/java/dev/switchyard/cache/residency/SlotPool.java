package dev.switchyard.cache.residency;

import dev.switchyard.kernels.ExpertSlots;
import dev.switchyard.kernels.cpu.CpuExpertSlots;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The device tier's bookkeeping: which of the backend's {@link ExpertSlots} are free. The pool, not
 * Caffeine's weight, is the real budget: a slot is either free here or owned by exactly one
 * {@link Resident}, so nothing is ever overcommitted and a slot in use is never handed out twice.
 */
public final class SlotPool implements AutoCloseable {

    /** Packed parts and slots start on cache lines, so vector loads of a packed matrix never straddle one needlessly. */
    static final long ALIGNMENT = 64;

    private final ExpertSlots memory;
    private final int count;
    private final int[] free;
    private int freeCount;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition returned = lock.newCondition();

    /** {@code count} slots of host memory, each big enough for {@code slotBytes} (the CPU backend's tier). */
    public SlotPool(int count, long slotBytes) {
        this(newHostSlots(count, slotBytes));
    }

    private static ExpertSlots newHostSlots(int count, long slotBytes) {
        if (count < 1 || slotBytes < 1) {
            throw new IllegalArgumentException("a slot pool needs at least one slot of at least one byte");
        }
        return new CpuExpertSlots(count, align(slotBytes));
    }

    /** The slots of a backend's device tier, all free; the pool owns them from now on. */
    public SlotPool(ExpertSlots memory) {
        this.memory = memory;
        this.count = memory.count();
        this.free = new int[count];
        for (int i = 0; i < count; i++) {
            free[i] = count - 1 - i; // slot 0 handed out first: easier to read in tests and dumps
        }
        this.freeCount = count;
    }

    /** {@code bytes} rounded up to the slot alignment (packed parts and slots start on cache lines). */
    public static long align(long bytes) {
        return (bytes + ALIGNMENT - 1) & -ALIGNMENT;
    }

    public int count() {
        return count;
    }

    public long slotBytes() {
        return memory.slotBytes();
    }

    /** The slots themselves: where the bytes are and how copies reach them. */
    public ExpertSlots memory() {
        return memory;
    }

    /** Slot {@code slot}'s bytes where the tier is host memory; {@link MemorySegment#NULL} on a device. */
    public MemorySegment segment(int slot) {
        return memory.hostView(slot);
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
        memory.close();
    }
}
