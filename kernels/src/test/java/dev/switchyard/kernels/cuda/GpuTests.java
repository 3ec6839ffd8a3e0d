package dev.switchyard.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.format.GgmlType;
import dev.switchyard.kernels.format.TensorCodecs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/**
 * Helpers for the tests that compare the CUDA backend with the CPU backend. They run only where
 * {@link CudaProbe} finds a usable GPU; elsewhere they are skipped with the probe's reason.
 */
final class GpuTests {

    static final GgmlType[] TYPES = {
        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL,
        GgmlType.IQ4_XS, GgmlType.MXFP4, GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S, GgmlType.IQ3_XXS,
        GgmlType.IQ3_S, GgmlType.IQ1_S, GgmlType.IQ1_M
    };

    private GpuTests() {
    }

    /** Device 0 where CUDA is usable, else null (for a {@code @BeforeAll}). */
    static CudaBackend openIfPresent() {
        return CudaProbe.probe().available() ? CudaBackend.open(0) : null;
    }

    /** Skips the calling test, with the reason, where CUDA is unavailable (for a {@code @BeforeEach}). */
    static void assumeGpu() {
        CudaProbe.Result probe = CudaProbe.probe();
        assumeTrue(probe.available(), () -> "needs a GPU: " + probe.describe());
    }

    static float[] gaussian(long seed, int n, float sigma) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian() * sigma;
        }
        return x;
    }

    /** {@code count} random {@code rows x cols} matrices quantized into one native segment. */
    static MemorySegment weights(GgmlType type, long seed, int rows, int cols, int count) {
        long matrixBytes = type.byteSize((long) rows * cols);
        MemorySegment seg = Arena.ofAuto().allocate(matrixBytes * count, 16);
        for (int m = 0; m < count; m++) {
            float[] w = gaussian(seed * 31 + m, rows * cols, 0.5f);
            TensorCodecs.forType(type).quantize(w, 0, seg, m * matrixBytes, rows * cols);
        }
        return seg.asReadOnly();
    }

    /** A matrix of {@code backend} holding {@code data} (rows x cols). */
    static FloatMatrix matrix(Backend backend, float[] data, int rows, int cols) {
        FloatMatrix m = backend.allocate(rows, cols);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(data, r * cols, row, 0, cols);
            m.writeRow(r, row);
        }
        return m;
    }

    /** The first {@code rows} rows of {@code m}, row-major. */
    static float[] read(FloatMatrix m, int rows) {
        float[] out = new float[rows * m.cols()];
        float[] row = new float[m.cols()];
        for (int r = 0; r < rows; r++) {
            m.readRow(r, row);
            System.arraycopy(row, 0, out, r * m.cols(), m.cols());
        }
        return out;
    }

    /** Asserts max |actual - expected| <= tol * rms(expected). */
    static void assertClose(float[] actual, float[] expected, double tol, String what) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        double err = 0;
        double ss = 0;
        for (int i = 0; i < actual.length; i++) {
            err = Math.max(err, Math.abs((double) actual[i] - expected[i]));
            ss += (double) expected[i] * expected[i];
        }
        double scale = Math.max(Math.sqrt(ss / Math.max(1, expected.length)), 1e-30);
        assertThat(err / scale).as(what + ": max error relative to RMS").isLessThanOrEqualTo(tol);
    }

    /**
     * Asserts that more than half of {@code actual}'s values are {@code expected}'s bit for bit: a
     * kernel that rounds in the CPU's order differs at most where the device's transcendental
     * functions differ in their last bit.
     */
    static void assertMostlyBitForBit(float[] actual, float[] expected, String what) {
        int same = 0;
        for (int i = 0; i < actual.length; i++) {
            same += Float.floatToRawIntBits(actual[i]) == Float.floatToRawIntBits(expected[i]) ? 1 : 0;
        }
        assertThat(2 * same).as(what + ": values bit for bit, of " + actual.length).isGreaterThan(actual.length);
    }
}
