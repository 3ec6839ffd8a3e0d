package dev.switchyard.kernels.cpu;

import dev.switchyard.kernels.ExpertSlots;
import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The CPU backend's device tier: {@code count} equal slots carved from one off-heap arena, and
 * copies into them as plain memory copies on the calling (copy) thread. The "link" is modeled, not
 * real: the residency cache paces copies to a bandwidth so offloading costs here what it would over
 * PCIe. Kernels have finished when their calls return, so a slot's readers need no ordering.
 */
public final class CpuExpertSlots implements ExpertSlots {

    /** Slots start on cache-line boundaries so vector loads of a packed matrix never straddle one needlessly. */
    static final long ALIGNMENT = 64;

    private final Arena arena;
    private final MemorySegment memory;
    private final long slotBytes;
    private final int count;
    private MemorySegment target; // the slot being copied into (copy thread)
    private long copyStart;

    /** @param slotBytes a multiple of 64 */
    public CpuExpertSlots(int count, long slotBytes) {
        if (count < 1 || slotBytes < 1) {
            throw new IllegalArgumentException("a device tier needs at least one slot of at least one byte");
        }
        if (slotBytes % ALIGNMENT != 0) {
            throw new IllegalArgumentException("slot bytes must be a multiple of " + ALIGNMENT + ", got " + slotBytes);
        }
        this.count = count;
        this.slotBytes = slotBytes;
        this.arena = Arena.ofShared();
        this.memory = arena.allocate(Math.multiplyExact(slotBytes, count), ALIGNMENT);
    }

    @Override
    public int count() {
        return count;
    }

    @Override
    public long slotBytes() {
        return slotBytes;
    }

    @Override
    public MemorySegment hostView(int slot) {
        return memory.asSlice(slot * slotBytes, slotBytes);
    }

    @Override
    public Weight weight(int slot, long offset, GgmlType type, long[] dims) {
        MemorySegment rest = hostView(slot).asSlice(offset);
        CpuWeight checked = new CpuWeight(type, rest, dims); // dims and size, with the usual messages
        return new CpuWeight(type, rest.asSlice(0, checked.matrixBytes() * checked.count()), dims);
    }

    @Override
    public void beginCopy(int slot) {
        target = hostView(slot);
        copyStart = System.nanoTime();
    }

    @Override
    public void write(MemorySegment src, long srcOffset, long slotOffset, long bytes) {
        MemorySegment.copy(src, srcOffset, target, slotOffset, bytes);
    }

    @Override
    public long endCopy() {
        target = null;
        return System.nanoTime() - copyStart;
    }

    @Override
    public void readsQueued(int slot) {
        // CPU kernels are complete when they return: nothing is in flight
    }

    @Override
    public boolean realLink() {
        return false;
    }

    @Override
    public String describe() {
        return count + " slots of " + slotBytes + " bytes in host memory (copies paced to model a link)";
    }

    @Override
    public void close() {
        arena.close();
    }
}
