package dev.switchyard.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each format's row kernel: exact decoding, the canonical summation order (vector dot equals the
 * float dot of the decoded row bit for bit), and agreement of the vector, scalar and double paths.
 */
class DotKernelTest {

    static GgmlType[] types() {
        return TestData.TYPES;
    }

    private static final int ROWS = 5;

    @ParameterizedTest
    @MethodSource("types")
    void dequantizeIsBitwiseTheCodec(GgmlType type) {
        int cols = TestData.oddCols(type) * 2;
        MemorySegment w = TestData.weights(type, 1, ROWS, cols, 1);
        float[] expected = ReferenceOps.dequantize(type, w, 0, ROWS, cols);
        DotKernel k = DotKernel.forType(type);
        float[] actual = new float[ROWS * cols + 3];
        for (int r = 0; r < ROWS; r++) {
            k.dequantize(w, r * type.byteSize(cols), actual, 3 + r * cols, cols);
        }
        assertThat(java.util.Arrays.copyOfRange(actual, 3, actual.length)).containsExactly(expected);
    }

    @ParameterizedTest
    @MethodSource("types")
    void vectorDotFollowsTheCanonicalOrder(GgmlType type) {
        int cols = TestData.oddCols(type) * 2;
        MemorySegment w = TestData.weights(type, 2, ROWS, cols, 1);
        float[] x = TestData.gaussian(3, cols + 5, 1f);
        DotKernel k = DotKernel.forType(type);
        float[] row = new float[cols];
        for (int r = 0; r < ROWS; r++) {
            long off = r * type.byteSize(cols);
            k.dequantize(w, off, row, 0, cols);
            float vector = k.dot(w, off, x, 5, cols);
            assertThat(Float.floatToRawIntBits(vector))
                    .as("row %d", r)
                    .isEqualTo(Float.floatToRawIntBits(FloatDot.dot(row, 0, x, 5, cols)));
        }
    }

    /**
     * The four-row kernels (four rows by one to four vectors, and four vectors of one row) give each
     * (row, vector) pair bitwise its single dot, at odd offsets and row lengths.
     */
    @ParameterizedTest
    @MethodSource("types")
    void multiRowKernelsEqualSingleDotsBitwise(GgmlType type) {
        for (int cols : new int[] {TestData.oddCols(type), TestData.oddCols(type) * 3}) {
            long rowBytes = type.byteSize(cols);
            MemorySegment w = TestData.weights(type, 8, ROWS, cols, 1);
            int xs = cols + 3;
            float[] x = TestData.gaussian(9, 5 + 4 * xs, 1f);
            DotKernel k = DotKernel.forType(type);
            long off = rowBytes; // rows 1..4 of 5
            int os = 7;
            float[] rows4 = new float[2 + 4];
            float[] tile4x4 = new float[3 + 3 * os + 4];
            float[] tile = new float[16 * Vec.L];
            k.dot4Rows(w, off, rowBytes, x, 5 + xs, cols, rows4, 2, tile);
            k.dot4x4(w, off, rowBytes, x, 5, xs, cols, tile4x4, 3, os, tile);
            float[] tile4x2 = new float[3 + os + 4];
            k.dot4x2(w, off, rowBytes, x, 5 + 2 * xs, xs, cols, tile4x2, 3, os, tile);
            float[] wide = new float[12 * Vec.L];
            float[] tile4x3 = new float[3 + 2 * os + 4];
            k.dot4x3(w, off, rowBytes, x, 5 + xs, xs, cols, tile4x3, 3, os, wide);
            for (int i = 0; i < 4; i++) {
                long ro = off + i * rowBytes;
                float[] tokens4 = new float[1 + 3 * os + 1];
                k.dot4(w, ro, x, 5, xs, cols, tokens4, 1, os);
                assertThat(rows4[2 + i]).as("%s 4 rows, row %d", type, i).isEqualTo(k.dot(w, ro, x, 5 + xs, cols));
                for (int t = 0; t < 4; t++) {
                    float single = k.dot(w, ro, x, 5 + t * xs, cols);
                    assertThat(tile4x4[3 + t * os + i]).as("%s 4x4 row %d vector %d", type, i, t).isEqualTo(single);
                    assertThat(tokens4[1 + t * os]).as("%s 4 vectors, row %d vector %d", type, i, t).isEqualTo(single);
                    if (t >= 2) {
                        assertThat(tile4x2[3 + (t - 2) * os + i]).as("%s 4x2 row %d vector %d", type, i, t).isEqualTo(single);
                    }
                    if (t >= 1) {
                        assertThat(tile4x3[3 + (t - 1) * os + i]).as("%s 4x3 row %d vector %d", type, i, t).isEqualTo(single);
                    }
                }
            }
        }
    }

    /**
     * MXFP4's scale is read from its bits ({@link Vec#e8m0Half}), the codec's by Math.scalb: a row
     * of 256 blocks, block e with exponent e and every nibble, decodes bit for bit as the codec
     * decodes it, subnormal half scales (e &lt; 2) and infinite products (e &gt;= 253) included.
     */
    @Test
    void mxfp4DecodesEveryExponentAndNibbleAsTheCodec() {
        MemorySegment w = TestData.everyMxfp4Exponent();
        int n = 256 * 32;
        float[] expected = ReferenceOps.dequantize(GgmlType.MXFP4, w, 0, 1, n);
        float[] actual = new float[n];
        DotKernel.forType(GgmlType.MXFP4).dequantize(w, 0, actual, 0, n);
        for (int k = 0; k < n; k++) {
            assertThat(Float.floatToRawIntBits(actual[k])).as("block %d value %d", k / 32, k % 32)
                    .isEqualTo(Float.floatToRawIntBits(expected[k]));
        }
    }

    /**
     * Vector and scalar paths both match the double-precision dot of the decoded row. Only float
     * rounding separates them: with exact decoding the bound is a few float epsilons times the
     * sum of |w x| (here 1e-5 of it, checked against the double result).
     */
    @ParameterizedTest
    @MethodSource("types")
    void vectorAndScalarPathsAgreeWithDouble(GgmlType type) {
        for (int cols : new int[] {TestData.oddCols(type), TestData.oddCols(type) * 4}) {
            MemorySegment w = TestData.weights(type, 4, ROWS, cols, 1);
            float[] x = TestData.gaussian(5, cols, 1f);
            float[] dq = ReferenceOps.dequantize(type, w, 0, ROWS, cols);
            DotKernel k = DotKernel.forType(type);
            for (int r = 0; r < ROWS; r++) {
                long off = r * type.byteSize(cols);
                double exact = ReferenceOps.dot(dq, r * cols, x, 0, cols);
                double magnitude = 0;
                for (int i = 0; i < cols; i++) {
                    magnitude += Math.abs((double) dq[r * cols + i] * x[i]);
                }
                float vector = k.dot(w, off, x, 0, cols);
                float scalar = k.dotScalar(w, off, x, 0, cols);
                assertThat(Math.abs(vector - exact)).as("vector, %s row %d", type, r).isLessThanOrEqualTo(1e-5 * magnitude);
                assertThat(Math.abs(scalar - exact)).as("scalar, %s row %d", type, r).isLessThanOrEqualTo(1e-5 * magnitude);
                assertThat((double) Math.abs(vector - scalar)).as("vector vs scalar").isLessThanOrEqualTo(2e-5 * magnitude);
            }
        }
    }

    /** The packed blocked kernels plus their tails are bitwise the single dot, with and without a tail. */
    @ParameterizedTest
    @ValueSource(ints = {1, 3, 16, 67, 96, 768})
    void blockedFloatKernelsEqualSingleDots(int n) {
        int ws = n + 3;
        int xs = n + 5;
        int nc = n / Vec.L;
        int kt = nc * Vec.L;
        float[] w = TestData.gaussian(6, 1 + 4 * ws, 1f);
        float[] x = TestData.gaussian(7, 2 + 5 * xs, 1f);
        for (int rows = 1; rows <= 4; rows++) {
            float[] wp = new float[2 + 4 * nc * Vec.L];
            float[] xp = new float[3 + 4 * nc * Vec.L];
            FloatDot.pack4(w, 1, ws, rows, nc, wp, 2);
            FloatDot.pack4(x, 2, xs, 4, nc, xp, 3);
            float[] tile = new float[16 * Vec.L];
            FloatDot.dot4x4(wp, 2, xp, 3, nc, tile);
            float[] tile1 = new float[4 * Vec.L];
            FloatDot.dot4x1(wp, 2, x, 2 + 4 * xs, nc, tile1);
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < 4; j++) {
                    float blocked = FloatDot.finish(tile, (i + 4 * j) * Vec.L, w, 1 + i * ws + kt, x, 2 + j * xs + kt, n - kt);
                    assertThat(blocked).as("4x4 (%d, %d) of %d rows", i, j, rows).isEqualTo(FloatDot.dot(w, 1 + i * ws, x, 2 + j * xs, n));
                }
                float one = FloatDot.finish(tile1, i * Vec.L, w, 1 + i * ws + kt, x, 2 + 4 * xs + kt, n - kt);
                assertThat(one).as("4x1 row %d", i).isEqualTo(FloatDot.dot(w, 1 + i * ws, x, 2 + 4 * xs, n));
            }
            for (int i = rows; i < 4; i++) {
                assertThat(Vec.hsum(tile, i * Vec.L)).as("padding rows are zero").isZero();
            }
        }
        double exact = ReferenceOps.dot(w, 1, x, 2, n);
        assertThat(Math.abs(FloatDot.dot(w, 1, x, 2, n) - exact)).isLessThanOrEqualTo(1e-5 * Math.sqrt(n));
        assertThat(Math.abs(FloatDot.dotScalar(w, 1, x, 2, n) - exact)).isLessThanOrEqualTo(1e-5 * Math.sqrt(n));
    }
}
