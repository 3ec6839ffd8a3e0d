package dev.switchyard.kernels.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The small per-call arrays an op sends along (token ids, positions, slots, row indices, combine
 * weights, block tables): packed into a region of a page-locked ring, sent with one asynchronous
 * copy into the same region of a device ring, then addressed as {@code base + offset}.
 *
 * <pre>
 *   long ids = staging.begin().ints(tokenIds, n);
 *   long base = staging.upload();
 *   args.ptr(base + ids);
 * </pre>
 *
 * <p>Every region is fresh space: nothing queued before reads it, so its copy may go ahead of the
 * kernels still waiting in the {@link KernelQueue}, and no op waits for the stream. The ring
 * starts over at offset 0 after every wait that leaves the stream idle (a step ends with one, when
 * its logits are read), so the same step shape finds its arrays at the same addresses, which is
 * what lets its kernels replay as a graph. A region that does not fit before the ring's end waits
 * for the stream and starts over at 0; one larger than the ring grows it.
 *
 * <p>Nothing may wait for the stream between {@link #upload} and the launches that read the region
 * (grow a scratch buffer before packing, not after): the wait would let the next op's region start
 * over at 0 and overwrite this one before its kernels were even queued.
 */
final class Staging {

    private static final long INITIAL_BYTES = 1 << 20;

    private final CudaContext ctx;
    private MemorySegment host = MemorySegment.NULL;
    private long device;
    private long capacity;
    /** First free byte of the ring. */
    private long cursor;
    /** The region being packed: from {@code start}, {@code used} bytes. */
    private long start;
    private long used;
    private long epoch = -1;

    Staging(CudaContext ctx) {
        this.ctx = ctx;
    }

    Staging begin() {
        if (ctx.idleEpoch() != epoch) {
            epoch = ctx.idleEpoch();
            cursor = 0;
        }
        start = cursor;
        used = 0;
        return this;
    }

    /** Packs {@code values[0 .. n)}; returns their offset from the base {@link #upload} returns. */
    long ints(int[] values, int n) {
        long at = reserve(4L * n);
        MemorySegment.copy(values, 0, host, ValueLayout.JAVA_INT, start + at, n);
        return at;
    }

    long floats(float[] values, int n) {
        long at = reserve(4L * n);
        MemorySegment.copy(values, 0, host, ValueLayout.JAVA_FLOAT, start + at, n);
        return at;
    }

    /** Sends what was packed since {@link #begin}; returns the device address of the region. */
    long upload() {
        if (device == 0) {
            makeRoom(0);
        }
        if (used > 0) {
            ctx.uploadStaged(host.asSlice(start, used), device + start, used);
        }
        cursor = (start + used + 15) & ~15L;
        return device + start;
    }

    private long reserve(long bytes) {
        long at = (used + 7) & ~7L;
        long end = at + bytes;
        if (start + end > capacity) {
            makeRoom(end);
        }
        used = end;
        return at;
    }

    /**
     * Room for a region of {@code needed} bytes at the ring's start: waits for the stream (so every
     * region queued so far has been read), then moves what this region packed so far to offset 0,
     * growing both rings when they are too small.
     */
    private void makeRoom(long needed) {
        ctx.synchronize();
        if (needed > capacity || device == 0) {
            long grown = Math.max(INITIAL_BYTES, Math.max(needed, 2 * capacity));
            MemorySegment newHost = ctx.allocatePinned(grown);
            long newDevice = ctx.allocate(grown);
            if (used > 0) {
                MemorySegment.copy(host, start, newHost, 0, used);
            }
            if (device != 0) {
                ctx.free(device);
                ctx.freePinned(host);
            }
            host = newHost;
            device = newDevice;
            capacity = grown;
        } else if (used > 0 && start > 0) {
            MemorySegment.copy(host, start, host, 0, used);
        }
        start = 0;
        cursor = 0;
        // after the frees, which wait for the stream too: the next begin() must not start over at 0
        // while this region's copy is still queued
        epoch = ctx.idleEpoch();
    }
}
