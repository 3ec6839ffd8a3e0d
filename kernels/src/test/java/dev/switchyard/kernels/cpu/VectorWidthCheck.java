package dev.switchyard.kernels.cpu;

import dev.switchyard.kernels.format.GgmlType;
import dev.switchyard.kernels.format.TensorCodecs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

/**
 * Run in a JVM of its own by {@link VectorWidthTest}, with {@code -XX:MaxVectorSize} narrowing the
 * preferred species: checks the kernels' invariants at that width and prints "OK" or what failed.
 * Self-contained (no test libraries), since the child JVM only gets the class path.
 */
public final class VectorWidthCheck {

    private VectorWidthCheck() {
    }

    public static void main(String[] args) {
        int expectedBits = Integer.parseInt(args[0]);
        try {
            check(expectedBits);
            System.out.println("OK " + Vec.describe());
        } catch (AssertionError | RuntimeException e) {
            System.out.println("FAILED at " + Vec.describe() + ": " + e);
            System.exit(1);
        }
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    private static float[] gaussian(long seed, int n) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    static void check(int expectedBits) {
        require(Vec.F.vectorBitSize() == expectedBits, "species is " + Vec.describe() + ", expected " + expectedBits + " bits");
        for (GgmlType type : TestData.TYPES) {
            int cols = switch (type) {
                case F32, F16, BF16 -> 67;
                case Q8_0, Q4_0 -> 96;
                default -> 512;
            };
            int rows = 6;
            long rowBytes = type.byteSize(cols);
            MemorySegment w = Arena.ofAuto().allocate(rowBytes * rows + 3).asSlice(3);
            TensorCodecs.forType(type).quantize(gaussian(type.ordinal(), rows * cols), 0, w, 0, rows * cols);
            float[] expected = new float[rows * cols];
            TensorCodecs.forType(type).dequantize(w, 0, expected, 0, rows * cols);
            DotKernel k = DotKernel.forType(type);
            float[] decoded = new float[rows * cols];
            for (int r = 0; r < rows; r++) {
                k.dequantize(w, r * rowBytes, decoded, r * cols, cols);
            }
            require(Arrays.equals(decoded, expected), type + ": decoding differs from the codec");
            float[] x = gaussian(100 + type.ordinal(), 5 * cols);
            for (int r = 0; r < rows; r++) {
                float v = k.dot(w, r * rowBytes, x, cols, cols);
                require(v == FloatDot.dot(decoded, r * cols, x, cols, cols), type + ": dot is not in canonical order");
                double exact = 0;
                double magnitude = 0;
                for (int i = 0; i < cols; i++) {
                    exact += (double) decoded[r * cols + i] * x[cols + i];
                    magnitude += Math.abs((double) decoded[r * cols + i] * x[cols + i]);
                }
                require(Math.abs(v - exact) <= 1e-5 * magnitude, type + ": dot off by " + (v - exact));
                require(Math.abs(k.dotScalar(w, r * rowBytes, x, cols, cols) - exact) <= 1e-5 * magnitude, type + ": scalar path");
            }
            int nc = cols / Vec.L;
            float[] wp = new float[4 * nc * Vec.L];
            float[] xp = new float[4 * nc * Vec.L];
            FloatDot.pack4(decoded, 0, cols, 4, nc, wp, 0);
            FloatDot.pack4(x, 0, cols, 4, nc, xp, 0);
            float[] tile = new float[16 * Vec.L];
            FloatDot.dot4x4(wp, 0, xp, 0, nc, tile);
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 4; j++) {
                    int kt = nc * Vec.L;
                    float blocked = FloatDot.finish(tile, (i + 4 * j) * Vec.L, decoded, i * cols + kt, x, j * cols + kt, cols - kt);
                    require(blocked == FloatDot.dot(decoded, i * cols, x, j * cols, cols), type + ": 4x4 kernel");
                }
            }
            try (CpuBackend b = new CpuBackend(2)) {
                var weight = b.weight(type, w, new long[] {cols, rows});
                CpuMatrix xs = (CpuMatrix) b.allocate(5, cols);
                System.arraycopy(x, 0, xs.data(), 0, 5 * cols);
                CpuMatrix batched = (CpuMatrix) b.allocate(5, rows);
                b.matmul(weight, 0, xs, batched, 5);
                CpuMatrix single = (CpuMatrix) b.allocate(1, rows);
                CpuMatrix one = (CpuMatrix) b.allocate(1, cols);
                for (int t = 0; t < 5; t++) {
                    System.arraycopy(x, t * cols, one.data(), 0, cols);
                    b.matmul(weight, 0, one, single, 1);
                    require(Arrays.equals(single.data(), Arrays.copyOfRange(batched.data(), t * rows, (t + 1) * rows)),
                            type + ": batched matmul differs from single tokens");
                }
            }
        }
        float[] args = new float[203];
        for (int i = 0; i < args.length; i++) {
            args[i] = -100f + i;
        }
        float[] vec = new float[args.length];
        int i = 0;
        for (; i + Vec.L <= args.length; i += Vec.L) {
            Vec.exp(jdk.incubator.vector.FloatVector.fromArray(Vec.F, args, i)).intoArray(vec, i);
        }
        for (int j = 0; j < i; j++) {
            require(vec[j] == Vec.exp(args[j]), "vector and scalar exp differ at " + args[j]);
        }
    }
}
