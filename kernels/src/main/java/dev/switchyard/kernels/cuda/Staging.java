package dev.switchyard.kernels.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The small per-call arrays an op sends along (token ids, positions, slots, row indices, combine
 * weights, block tables): packed into one host buffer, sent with one copy into one device buffer,
 * then addressed as {@code base + offset}. Both buffers are reused call after call; the device one
 * is only overwritten by a later copy on the same stream, so never before the kernels that read it
 * have run.
 *
 * <pre>
 *   long ids = staging.begin().ints(tokenIds, n);
 *   long base = staging.upload();
 *   args.ptr(base + ids);
 * </pre>
 */
final class Staging {

    private final CudaContext ctx;
    private MemorySegment host = MemorySegment.NULL;
    private long device;
    private long deviceBytes;
    private long used;

    Staging(CudaContext ctx) {
        this.ctx = ctx;
    }

    Staging begin() {
        used = 0;
        return this;
    }

    /** Packs {@code values[0 .. n)}; returns their offset from the base {@link #upload} returns. */
    long ints(int[] values, int n) {
        long at = reserve(4L * n);
        MemorySegment.copy(values, 0, host, ValueLayout.JAVA_INT, at, n);
        return at;
    }

    long floats(float[] values, int n) {
        long at = reserve(4L * n);
        MemorySegment.copy(values, 0, host, ValueLayout.JAVA_FLOAT, at, n);
        return at;
    }

    /** Sends what was packed since {@link #begin}; returns the device base address. */
    long upload() {
        if (deviceBytes < used) {
            if (device != 0) {
                ctx.free(device);
            }
            deviceBytes = Math.max(used, Math.max(4096, 2 * deviceBytes));
            device = ctx.allocate(deviceBytes);
        }
        ctx.upload(host, device, used);
        return device;
    }

    private long reserve(long bytes) {
        long at = (used + 7) & ~7L;
        long end = at + bytes;
        if (host.byteSize() < end) {
            MemorySegment grown = Arena.ofAuto().allocate(Math.max(end, Math.max(4096, 2 * host.byteSize())), 64);
            MemorySegment.copy(host, 0, grown, 0, used);
            host = grown;
        }
        used = end;
        return at;
    }
}
