package dev.switchyard.kernels.cpu;

import dev.switchyard.kernels.format.GgmlType;
import dev.switchyard.kernels.format.TensorCodecs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Run in a JVM of its own by {@link KernelAllocationTest}: every row kernel's entry points, once
 * the JIT has compiled them, allocate nothing. A vector that the JIT cannot keep in registers (a
 * helper it gave up inlining, most often because the method's IR grew past C2's node budget while
 * it was parsed) is boxed on the heap at every call, which is what makes a kernel several times
 * slower at one vector width than at another; counting the bytes a call allocates finds that
 * without timing anything. Prints "OK" or the entry points that allocate.
 */
public final class KernelAllocationCheck {

    /** Calls of each entry point before measuring: past the JIT's thresholds for its C2 compile. */
    private static final int WARM_CALLS = 25_000;
    /** Matmul calls before measuring: each calls its kernel eight times or more. */
    private static final int WARM_MATMULS = 4_000;
    private static final int MEASURED_CALLS = 1_000;

    private KernelAllocationCheck() {
    }

    /**
     * Every format's kernels in turn; or, with the argument {@code mixed}, the backend's matmul over
     * Q4_K, then Q6_K, then Q4_K again, as a Q4_K_M file's layers call them, in a JVM without the
     * launcher's flags: the loops that meet both formats are what {@link KernelInlining}'s directive
     * keeps from inlining both kernels (the state it reached is printed after "OK"); or, with
     * {@code ops}, the backend's other ops ({@link OpAllocationCheck}).
     */
    public static void main(String[] args) {
        List<String> allocating = new ArrayList<>();
        if (args.length > 0 && args[0].equals("ops")) {
            allocating.addAll(OpAllocationCheck.check());
        } else if (args.length > 0 && args[0].equals("mixed")) {
            for (GgmlType type : new GgmlType[] {GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q4_K}) {
                allocating.addAll(checkMatmul(type, 256));
            }
        } else {
            for (GgmlType type : TestData.TYPES) {
                allocating.addAll(check(type));
            }
        }
        if (allocating.isEmpty()) {
            System.out.println("OK " + Vec.describe() + ", directive " + KernelInlining.state());
        } else {
            System.out.println("ALLOCATING at " + Vec.describe() + ", directive " + KernelInlining.state() + ": "
                    + String.join(", ", allocating));
            System.exit(1);
        }
    }

    interface Call {
        void run();
    }

    /** The entry points of one type's kernel that allocate, as "TYPE.method (bytes per call)". */
    static List<String> check(GgmlType type) {
        int cols = switch (type) {
            case F32, F16, BF16 -> 64;
            case Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, MXFP4 -> 128;
            default -> 256;
        };
        int rows = 4;
        long rowBytes = type.byteSize(cols);
        MemorySegment w = Arena.ofAuto().allocate(rowBytes * rows);
        TensorCodecs.forType(type).quantize(gaussian(type.ordinal(), rows * cols), 0, w, 0, rows * cols);
        DotKernel k = DotKernel.forType(type);
        float[] x = gaussian(100 + type.ordinal(), 4 * cols);
        float[] out = new float[16];
        float[] tile = new float[16 * Vec.L];
        float[] decoded = new float[4 * cols];
        List<String> allocating = new ArrayList<>();
        measure(type + ".dot", () -> out[0] = k.dot(w, 0, x, 0, cols), allocating);
        measure(type + ".dot4", () -> k.dot4(w, 0, x, 0, cols, cols, out, 0, 1), allocating);
        measure(type + ".dot4Rows", () -> k.dot4Rows(w, 0, rowBytes, x, 0, cols, out, 0, tile), allocating);
        measure(type + ".dot4x2", () -> k.dot4x2(w, 0, rowBytes, x, 0, cols, cols, out, 0, 4, tile), allocating);
        measure(type + ".dot4x3", () -> k.dot4x3(w, 0, rowBytes, x, 0, cols, cols, out, 0, 4, tile), allocating);
        measure(type + ".dot4x4", () -> k.dot4x4(w, 0, rowBytes, x, 0, cols, cols, out, 0, 4, tile), allocating);
        measure(type + ".decodeChunks", () -> k.decodeChunks(w, 0, decoded, 0, Vec.L, cols), allocating);
        measure(type + ".decodeChunks(panel)", () -> k.decodeChunks(w, 0, decoded, 0, 4 * Vec.L, cols), allocating);
        allocating.addAll(checkMatmul(type, cols));
        return allocating;
    }

    /**
     * The backend's matmul over the type, one thread (the calling one), at the token counts that
     * take each of its paths: one token, passes of two to four tokens over four rows, and the
     * decoded panels of many tokens. It calls the kernels from its own compiled loops, which is
     * where production calls them from.
     */
    static List<String> checkMatmul(GgmlType type, int cols) {
        int rows = 32;
        MemorySegment w = Arena.ofAuto().allocate(type.byteSize((long) rows * cols));
        TensorCodecs.forType(type).quantize(gaussian(type.ordinal() + 7, rows * cols), 0, w, 0, rows * cols);
        List<String> allocating = new ArrayList<>();
        try (CpuBackend b = new CpuBackend(1)) {
            var weight = b.weight(type, w, new long[] {cols, rows});
            for (int tokens : new int[] {1, 2, 3, 4, 5, 7, 16, 18}) {
                CpuMatrix xs = (CpuMatrix) b.allocate(tokens, cols);
                System.arraycopy(gaussian(tokens, tokens * cols), 0, xs.data(), 0, tokens * cols);
                CpuMatrix out = (CpuMatrix) b.allocate(tokens, rows);
                measure(type + ".matmul(" + tokens + " tokens)", () -> b.matmul(weight, 0, xs, out, tokens), WARM_MATMULS,
                        allocating);
            }
        }
        return allocating;
    }

    private static void measure(String name, Call call, List<String> allocating) {
        measure(name, call, WARM_CALLS, allocating);
    }

    static void measure(String name, Call call, int warmCalls, List<String> allocating) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long bytes = Long.MAX_VALUE;
        // a second try after more calls, in case the first measurement caught a compile being replaced
        for (int attempt = 0; attempt < 2 && bytes > 0; attempt++) {
            for (int i = 0; i < warmCalls; i++) {
                call.run();
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < MEASURED_CALLS; i++) {
                call.run();
            }
            bytes = threads.getCurrentThreadAllocatedBytes() - before;
        }
        if (bytes > 0) {
            allocating.add(name + " (" + bytes / MEASURED_CALLS + " bytes per call)");
        }
    }

    static float[] gaussian(long seed, int n) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }
}
