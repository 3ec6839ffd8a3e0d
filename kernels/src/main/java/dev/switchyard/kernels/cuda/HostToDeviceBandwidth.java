package dev.switchyard.kernels.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;

/**
 * Host-to-device copy bandwidth of device 0, from pageable memory (what a memory-mapped model file
 * is) and from page-locked memory (what the expert copy stream will use): one copy of the whole
 * buffer with {@code cuMemcpyHtoDAsync_v2}, timed from the call to the stream's completion, best of
 * three after one warm-up. Then the device's own memory bandwidth: a device-to-device copy of the
 * buffer, counting the bytes read and the bytes written (the ceiling a decode step's weight reads
 * are measured against).
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp switchyard.jar dev.switchyard.kernels.cuda.HostToDeviceBandwidth [MiB, default 1024]</pre>
 */
public final class HostToDeviceBandwidth {

    private static final int RUNS = 3;

    private HostToDeviceBandwidth() {
    }

    public static void main(String[] args) {
        long mib = args.length > 0 ? Long.parseLong(args[0]) : 1024;
        long bytes = mib << 20;
        CudaProbe.Result probe = CudaProbe.probe();
        if (!probe.available()) {
            System.err.println(probe.describe());
            System.exit(1);
        }
        try (CudaContext ctx = CudaContext.open(0); Arena arena = Arena.ofConfined()) {
            ctx.makeCurrent();
            long device = ctx.allocate(bytes);
            MemorySegment pageable = arena.allocate(bytes, 4096);
            pageable.fill((byte) 1);
            double pageableGbs = best(ctx, pageable, device, bytes);
            MemorySegment pinned = ctx.allocatePinned(bytes);
            double pinnedGbs;
            try {
                pinned.fill((byte) 1);
                pinnedGbs = best(ctx, pinned, device, bytes);
            } finally {
                ctx.freePinned(pinned);
            }
            System.out.printf(Locale.ROOT, "host-to-device on cuda:0 (%s), %d MiB: pageable %.1f GB/s, pinned %.1f GB/s "
                    + "(best of %d)%n", ctx.deviceName(), mib, pageableGbs, pinnedGbs, RUNS);
            long other = ctx.allocate(bytes);
            double deviceGbs = bestOf(ctx, () -> ctx.copy(device, other, bytes), 2.0 * bytes);
            System.out.printf(Locale.ROOT, "device memory on cuda:0, %d MiB copied device to device: %.1f GB/s "
                    + "(bytes read + bytes written, best of %d)%n", mib, deviceGbs, RUNS);
        }
    }

    private static double best(CudaContext ctx, MemorySegment host, long device, long bytes) {
        return bestOf(ctx, () -> ctx.upload(host, device, bytes), bytes);
    }

    /**
     * GB/s of {@code copy}, which moves {@code bytesMoved} bytes: best of {@value #RUNS} runs after
     * one warm-up, each timed from the call to the stream's completion.
     */
    static double bestOf(CudaContext ctx, Runnable copy, double bytesMoved) {
        copy.run();
        ctx.synchronize();
        double best = 0;
        for (int i = 0; i < RUNS; i++) {
            long start = System.nanoTime();
            copy.run();
            ctx.synchronize();
            best = Math.max(best, bytesMoved / ((System.nanoTime() - start) / 1e9) / 1e9);
        }
        return best;
    }
}
