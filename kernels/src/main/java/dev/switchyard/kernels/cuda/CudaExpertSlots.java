package dev.switchyard.kernels.cuda;

import static dev.switchyard.kernels.cuda.Driver.check;
import static dev.switchyard.kernels.cuda.driver.cuda_h.*;

import dev.switchyard.kernels.ExpertSlots;
import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The CUDA backend's device tier for offloaded experts.
 *
 * <h2>Memory</h2>
 * One plain {@code cuMemAlloc} (never managed memory, which would page on demand and hide the
 * copies this tier exists to schedule) cut into equal slots; {@link #weight} views point into it.
 *
 * <h2>Copies</h2>
 * On a stream of their own, so they overlap the compute stream's kernels, issued by the residency
 * cache's copy thread. A copy is done when an event recorded after its last write has completed:
 * the copy thread waits for it ({@code cuEventSynchronize}; it is a dedicated thread), and only
 * then does the expert's future complete, so every kernel queued after that sees the new bytes.
 * The host side comes one of two ways:
 * <ul>
 *   <li><b>Pinned in place</b>: the mapped model file's expert tensors are registered with
 *       {@code cuMemHostRegister} (read-only where the device supports it, since the file is mapped
 *       read-only), and each write is one {@code cuMemcpyHtoDAsync} straight from the mapping: DMA
 *       at the link's speed, no CPU copy.</li>
 *   <li><b>Staged</b>, where the device cannot register host memory or the driver refuses (a
 *       mapping it cannot pin, not enough memory to pin it all): two pinned write-combined buffers
 *       of {@link #STAGE_BYTES} ({@code cuMemHostAlloc}). The copy thread fills one while the
 *       other's copy runs, and before refilling a buffer waits for the event recorded after its
 *       last copy.</li>
 * </ul>
 *
 * <h2>Reusing a slot</h2>
 * Kernels read a slot after their launch returns, so a slot handed back to the pool may still be
 * read on the device. Every slot has an event: a compute thread that has queued its last kernel
 * over a slot records it on the compute stream ({@link #readsQueued}), and a copy into the slot
 * first makes the copy stream wait for it ({@code cuStreamWaitEvent}). The pool hands a slot out
 * only after its last holder's {@link #readsQueued} (the holder records, then drops its reference),
 * and records on the one compute stream are ordered, so the wait covers every kernel that read the
 * old expert. Neither stream blocks the other otherwise, and the host never waits for compute here.
 *
 * <h2>Pacing</h2>
 * The link is real ({@link #realLink}): the residency cache does not pace copies unless it is given
 * an explicit rate, which only limits them where it is below the link's.
 */
final class CudaExpertSlots implements ExpertSlots {

    /** Bytes of each of the two staging buffers: large enough that one fill outlasts a copy's setup. */
    static final long STAGE_BYTES = 16L << 20;
    /** Host regions closer than this are registered as one, so no page (up to 64 KiB) is registered twice. */
    private static final long MERGE_GAP = 64L << 10;

    private static volatile boolean eventTiming = true;

    private final CudaContext ctx;
    private final int count;
    private final long slotBytes;
    private final String where;
    private long base;
    private MemorySegment stream = MemorySegment.NULL;
    private final MemorySegment[] released;
    private MemorySegment start = MemorySegment.NULL;
    private MemorySegment done = MemorySegment.NULL;
    private final MemorySegment[] stage = {MemorySegment.NULL, MemorySegment.NULL};
    private final MemorySegment[] staged = {MemorySegment.NULL, MemorySegment.NULL};
    private final List<MemorySegment> registered = new ArrayList<>();
    private long[][] pinned = new long[0][];
    private String stagingReason; // why copies are staged; null while host memory is pinned
    private boolean closed;

    // the copy thread's state
    private final MemorySegment out = Arena.ofAuto().allocate(8, 8);
    private long target;
    private boolean copying;
    private int buffer;
    private long fill;
    private long wallStart;

    /**
     * @param pinHost false stages every copy, as where registering host memory fails (tests)
     */
    CudaExpertSlots(CudaContext ctx, int count, long slotBytes, List<MemorySegment> hostRegions, boolean pinHost) {
        if (count < 1 || slotBytes < 1) {
            throw new IllegalArgumentException("a device tier needs at least one slot of at least one byte");
        }
        this.ctx = ctx;
        this.count = count;
        this.slotBytes = slotBytes;
        this.where = "cuda:" + ctx.ordinal() + " (" + ctx.deviceName() + ")";
        this.released = new MemorySegment[count];
        Arrays.fill(released, MemorySegment.NULL);
        long bytes = Math.multiplyExact(slotBytes, (long) count);
        ctx.makeCurrent();
        long[] memory = ctx.memoryInfo();
        if (bytes > memory[0]) {
            throw new IllegalArgumentException(tooLarge(bytes, memory));
        }
        try {
            try {
                base = ctx.allocate(bytes);
            } catch (CudaException e) {
                if (e.result() == CUDA_ERROR_OUT_OF_MEMORY()) {
                    throw new IllegalArgumentException(tooLarge(bytes, ctx.memoryInfo()), e);
                }
                throw e;
            }
            check(cuStreamCreate(out, CU_STREAM_NON_BLOCKING()), "cuStreamCreate");
            stream = out.get(ValueLayout.ADDRESS, 0);
            for (int s = 0; s < count; s++) {
                released[s] = event(CU_EVENT_DISABLE_TIMING());
            }
            start = event(CU_EVENT_DEFAULT());
            done = event(CU_EVENT_BLOCKING_SYNC());
            stagingReason = pinHost ? pin(hostRegions) : "staging forced";
        } catch (RuntimeException | Error e) {
            release();
            throw e;
        }
    }

    private String tooLarge(long bytes, long[] memory) {
        return String.format(Locale.ROOT, "expert memory of %d slots x %s = %s does not fit on %s: %s free of %s "
                + "(after the resident weights, KV cache and activations); ask for less expert memory",
                count, size(slotBytes), size(bytes), where, size(memory[0]), size(memory[1]));
    }

    private static String size(long bytes) {
        return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30))
                : String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }

    private MemorySegment event(int flags) {
        check(cuEventCreate(out, flags), "cuEventCreate");
        return out.get(ValueLayout.ADDRESS, 0);
    }

    /** Registers the host regions; null when all are pinned, else why copies will be staged. */
    private String pin(List<MemorySegment> regions) {
        if (ctx.attribute(CU_DEVICE_ATTRIBUTE_HOST_REGISTER_SUPPORTED()) == 0) {
            return "the device cannot register host memory";
        }
        List<long[]> ranges = new ArrayList<>();
        for (MemorySegment r : regions) {
            if (!r.isNative()) {
                return "the experts are not in native memory";
            }
            if (r.byteSize() > 0) {
                ranges.add(new long[] {r.address(), r.address() + r.byteSize()});
            }
        }
        if (ranges.isEmpty()) {
            return "no host memory to pin was named";
        }
        ranges.sort(Comparator.comparingLong(r -> r[0]));
        List<long[]> merged = new ArrayList<>();
        for (long[] r : ranges) {
            long[] last = merged.isEmpty() ? null : merged.getLast();
            if (last != null && r[0] - last[1] < MERGE_GAP) {
                last[1] = Math.max(last[1], r[1]);
            } else {
                merged.add(r.clone());
            }
        }
        // the model file is mapped read-only: without this flag the driver would pin it writable
        int flags = ctx.attribute(CU_DEVICE_ATTRIBUTE_READ_ONLY_HOST_REGISTER_SUPPORTED()) != 0
                ? CU_MEMHOSTREGISTER_READ_ONLY() : 0;
        for (long[] r : merged) {
            MemorySegment p = MemorySegment.ofAddress(r[0]);
            int rc = cuMemHostRegister_v2(p, r[1] - r[0], flags);
            if (rc != 0) {
                unpin();
                return "cuMemHostRegister_v2 of " + size(r[1] - r[0]) + " failed: " + Driver.describe(rc);
            }
            registered.add(p);
        }
        pinned = merged.toArray(long[][]::new);
        return null;
    }

    private void unpin() {
        for (MemorySegment p : registered) {
            cuMemHostUnregister(p);
        }
        registered.clear();
        pinned = new long[0][];
    }

    /** Whether copies read the host experts in place (else they are staged). */
    boolean hostPinned() {
        return stagingReason == null;
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
        Objects.checkIndex(slot, count);
        return MemorySegment.NULL;
    }

    @Override
    public Weight weight(int slot, long offset, GgmlType type, long[] dims) {
        Objects.checkIndex(slot, count);
        if (offset < 0 || offset > slotBytes) {
            throw new IllegalArgumentException("offset " + offset + " outside a slot of " + slotBytes + " bytes");
        }
        return CudaWeight.at(address(slot) + offset, slotBytes - offset, type, dims);
    }

    /** Device address of slot {@code slot}'s first byte. */
    long address(int slot) {
        return base + slot * slotBytes;
    }

    @Override
    public void beginCopy(int slot) {
        Objects.checkIndex(slot, count);
        ctx.makeCurrent(); // on the copy thread
        if (copying) {
            // the last copy failed midway: let its writes drain before the staging buffers are reused
            cuStreamSynchronize(stream);
        }
        target = address(slot);
        // the slot's previous expert may still be read by kernels queued on the compute stream
        check(cuStreamWaitEvent(stream, released[slot], 0), "cuStreamWaitEvent");
        check(cuEventRecord(start, stream), "cuEventRecord");
        wallStart = System.nanoTime();
        buffer = 0;
        fill = 0;
        copying = true;
    }

    @Override
    public void write(MemorySegment src, long srcOffset, long slotOffset, long bytes) {
        if (!copying) {
            throw new IllegalStateException("write outside a copy");
        }
        Objects.checkFromIndexSize(srcOffset, bytes, src.byteSize());
        Objects.checkFromIndexSize(slotOffset, bytes, slotBytes);
        if (bytes == 0) {
            return;
        }
        long dst = target + slotOffset;
        if (src.isNative() && isPinned(src.address() + srcOffset, bytes)) {
            check(cuMemcpyHtoDAsync_v2(dst, src.asSlice(srcOffset, bytes), bytes, stream), "cuMemcpyHtoDAsync_v2");
        } else {
            stage(src, srcOffset, dst, bytes);
        }
    }

    private boolean isPinned(long address, long bytes) {
        for (long[] r : pinned) {
            if (address >= r[0] && address + bytes <= r[1]) {
                return true;
            }
        }
        return false;
    }

    /** Through the staging buffers: fill one while the other's copies run. */
    private void stage(MemorySegment src, long srcOffset, long dst, long bytes) {
        if (stage[0].equals(MemorySegment.NULL)) {
            for (int b = 0; b < 2; b++) {
                check(cuMemHostAlloc(out, STAGE_BYTES, CU_MEMHOSTALLOC_WRITECOMBINED()), "cuMemHostAlloc(" + STAGE_BYTES + ")");
                stage[b] = out.get(ValueLayout.ADDRESS, 0).reinterpret(STAGE_BYTES);
                staged[b] = event(CU_EVENT_DISABLE_TIMING() | CU_EVENT_BLOCKING_SYNC());
            }
        }
        for (long at = 0; at < bytes; ) {
            if (fill == STAGE_BYTES) {
                check(cuEventRecord(staged[buffer], stream), "cuEventRecord");
                buffer ^= 1;
                check(cuEventSynchronize(staged[buffer]), "cuEventSynchronize"); // its last copies have read it
                fill = 0;
            }
            long n = Math.min(bytes - at, STAGE_BYTES - fill);
            MemorySegment into = stage[buffer].asSlice(fill, n);
            MemorySegment.copy(src, srcOffset + at, into, 0, n);
            check(cuMemcpyHtoDAsync_v2(dst + at, into, n, stream), "cuMemcpyHtoDAsync_v2");
            fill += n;
            at += n;
        }
    }

    @Override
    public long endCopy() {
        check(cuEventRecord(done, stream), "cuEventRecord");
        check(cuEventSynchronize(done), "cuEventSynchronize");
        copying = false;
        long wall = System.nanoTime() - wallStart;
        if (eventTiming) {
            try {
                MemorySegment ms = out; // 4 bytes of float
                if (cuEventElapsedTime_v2(ms, start, done) == 0) {
                    return (long) (ms.get(ValueLayout.JAVA_FLOAT, 0) * 1e6);
                }
            } catch (LinkageError e) {
                eventTiming = false; // a driver older than cuEventElapsedTime_v2: the host's clock instead
            }
        }
        return wall;
    }

    @Override
    public void readsQueued(int slot) {
        Objects.checkIndex(slot, count);
        ctx.makeCurrent();
        check(cuEventRecord(released[slot], ctx.stream()), "cuEventRecord");
    }

    @Override
    public boolean realLink() {
        return true;
    }

    @Override
    public String describe() {
        String slots = count + " slots of " + size(slotBytes) + " in " + where + " memory; copies on their own stream ";
        return stagingReason == null
                ? slots + "straight from the pinned model file (cuMemHostRegister)"
                : slots + "staged through two pinned " + size(STAGE_BYTES) + " buffers (" + stagingReason + ")";
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            release();
        }
    }

    private void release() {
        if (ctx.isClosed()) {
            return; // the context took its memory, streams, events and registrations with it
        }
        ctx.makeCurrent();
        if (!stream.equals(MemorySegment.NULL)) {
            cuStreamSynchronize(stream);
        }
        for (MemorySegment e : released) {
            destroy(e);
        }
        destroy(start);
        destroy(done);
        for (int b = 0; b < 2; b++) {
            destroy(staged[b]);
            if (!stage[b].equals(MemorySegment.NULL)) {
                cuMemFreeHost(stage[b]);
                stage[b] = MemorySegment.NULL;
            }
        }
        if (!stream.equals(MemorySegment.NULL)) {
            cuStreamDestroy_v2(stream);
            stream = MemorySegment.NULL;
        }
        unpin();
        if (base != 0) {
            ctx.free(base); // waits for the compute stream: kernels may still read the slots
            base = 0;
        }
    }

    private static void destroy(MemorySegment event) {
        if (!event.equals(MemorySegment.NULL)) {
            cuEventDestroy_v2(event);
        }
    }
}
