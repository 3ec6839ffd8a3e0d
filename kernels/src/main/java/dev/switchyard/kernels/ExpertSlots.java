package dev.switchyard.kernels;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;

/**
 * The device tier of expert offloading, as a backend provides it: {@link #count()} equal slots of
 * the memory its kernels read weights from, compute views over a slot's bytes, copies of packed
 * experts from host memory into a slot, and the ordering that keeps a slot from being rewritten
 * while kernels still read it.
 *
 * <p>Which slot is free is decided elsewhere (the residency cache's slot pool and reference
 * counts); this type only moves bytes and orders them. Who calls what:
 * <ul>
 *   <li>Once, before computing: {@link #weight} for every slot and expert layout.</li>
 *   <li>The copy thread, one copy at a time: {@link #beginCopy}, any number of {@link #write}s,
 *       then {@link #endCopy}, which returns once the bytes are in the slot and kernels queued from
 *       then on see them.</li>
 *   <li>A compute thread, after it has queued the last kernel that reads a slot's expert and
 *       before it gives up its hold on the expert: {@link #readsQueued}. A later copy into that
 *       slot lands only after those kernels have run.</li>
 * </ul>
 * On the CPU the slots are one off-heap arena and every kernel has finished when its call
 * returns, so the ordering is free; on a GPU kernels run after their call returns, and the
 * ordering is an event per slot that the copy stream waits on.
 */
public interface ExpertSlots extends AutoCloseable {

    /** Slots, numbered 0 .. count-1. */
    int count();

    /** Bytes per slot. */
    long slotBytes();

    /**
     * The slot's bytes as host memory, where the slots are host memory (the CPU backend);
     * {@link MemorySegment#NULL} where they are device memory.
     */
    MemorySegment hostView(int slot);

    /**
     * A weight of ggml dims {@code [cols, rows]} or {@code [cols, rows, count]} over the bytes of
     * {@code slot} from {@code offset} on, without copying them: it computes with whatever the slot
     * holds at the time. Build these once; they stay valid until {@link #close}.
     */
    Weight weight(int slot, long offset, GgmlType type, long[] dims);

    /** Starts a copy into {@code slot} (copy thread only). */
    void beginCopy(int slot);

    /**
     * Copies {@code bytes} bytes of {@code src} from {@code srcOffset} to the slot being copied into,
     * at {@code slotOffset}. May return before the bytes have landed; {@code src} must stay valid
     * and unchanged until {@link #endCopy}.
     */
    void write(MemorySegment src, long srcOffset, long slotOffset, long bytes);

    /**
     * Returns once every write since {@link #beginCopy} has landed in the slot; returns the
     * nanoseconds the copy took on the link (pacing included, waiting for the slot's previous
     * readers not).
     */
    long endCopy();

    /**
     * The calling compute thread has queued every kernel that reads {@code slot} (for the expert it
     * holds there); a later copy into the slot must land after them.
     */
    void readsQueued(int slot);

    /**
     * Whether copies cross a real link (a GPU's PCIe or NVLink), whose speed is the limit, rather
     * than moving between two arenas of host memory, where only pacing makes them cost what a link
     * would.
     */
    boolean realLink();

    /** Where the slots are and how copies reach them, for logs and reports. */
    String describe();

    /** Frees the slots (and whatever copies needed); no copy may be running and no expert in use. */
    @Override
    void close();
}
