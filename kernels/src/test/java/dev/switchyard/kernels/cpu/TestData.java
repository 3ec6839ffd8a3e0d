package dev.switchyard.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.kernels.format.GgmlType;
import dev.switchyard.kernels.format.TensorCodecs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

/** Random test data, quantized weights, and error measures. Every generator takes a seed. */
final class TestData {

    /** The weight formats the CPU backend computes with. */
    static final GgmlType[] TYPES = {
        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL,
        GgmlType.IQ4_XS, GgmlType.MXFP4, GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S, GgmlType.IQ3_XXS,
        GgmlType.IQ3_S, GgmlType.IQ1_S, GgmlType.IQ1_M
    };

    private TestData() {
    }

    static float[] gaussian(long seed, int n, float sigma) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian() * sigma;
        }
        return x;
    }

    /** An odd column count that is legal for the type: not a multiple of any vector width for plain floats. */
    static int oddCols(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16 -> 67;
            case Q8_0, Q4_0 -> 96;
            default -> 768;
        };
    }

    /** Quantizes {@code count} random {@code rows x cols} matrices into one native segment. */
    static MemorySegment weights(GgmlType type, long seed, int rows, int cols, int count) {
        int n = rows * cols;
        long matrixBytes = type.byteSize(n);
        MemorySegment seg = Arena.ofAuto().allocate(matrixBytes * count + 7, 16).asSlice(7);
        for (int m = 0; m < count; m++) {
            float[] w = gaussian(seed * 31 + m, n, 0.5f);
            TensorCodecs.forType(type).quantize(w, 0, seg, m * matrixBytes, n);
        }
        return seg.asReadOnly();
    }

    /** One MXFP4 row of 256 blocks: block e has exponent e, and byte j nibbles j (low) and 15 - j (high). */
    static MemorySegment everyMxfp4Exponent() {
        MemorySegment seg = Arena.ofAuto().allocate(256 * 17);
        for (int e = 0; e < 256; e++) {
            seg.set(ValueLayout.JAVA_BYTE, e * 17L, (byte) e);
            for (int j = 0; j < 16; j++) {
                seg.set(ValueLayout.JAVA_BYTE, e * 17L + 1 + j, (byte) (j | (15 - j) << 4));
            }
        }
        return seg.asReadOnly();
    }

    static double rms(float[] a) {
        double s = 0;
        for (float v : a) {
            s += (double) v * v;
        }
        return Math.sqrt(s / Math.max(1, a.length));
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    /** Asserts max |actual - expected| <= tol * rms(expected) (a floor of 1e-30 for all-zero data). */
    static void assertClose(float[] actual, float[] expected, double tol, String what) {
        double err = maxAbsDiff(actual, expected);
        double scale = Math.max(rms(expected), 1e-30);
        assertThat(err / scale).as(what + ": max error relative to RMS").isLessThanOrEqualTo(tol);
    }

    static float[] prefix(float[] a, int n) {
        return java.util.Arrays.copyOf(a, n);
    }
}
