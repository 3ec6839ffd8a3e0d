package dev.switchyard.kernels.cuda;

/**
 * A device buffer that only grows, to the largest size asked for, so a warm step allocates nothing;
 * the old one is freed once the work queued so far is done with it. Not thread-safe, as its owner.
 */
final class Scratch {
    private long pointer;
    private long bytes;

    long ensure(CudaContext ctx, long needed) {
        if (needed > bytes) {
            long size = Math.max(needed, 2 * bytes);
            if (bytes > 0) {
                ctx.free(pointer);
                bytes = 0;
            }
            pointer = ctx.allocate(size);
            bytes = size;
        }
        return pointer;
    }
}
