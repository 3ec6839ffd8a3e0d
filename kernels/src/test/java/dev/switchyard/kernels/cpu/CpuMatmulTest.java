package dev.switchyard.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Matmul against the double-precision reference for every weight type, and the batching and
 * threading invariants: a token's output is bitwise the same alone, in any batch, on any thread
 * count.
 *
 * <p>Tolerance: 2e-5 of the output's RMS for every type. Weights are decoded exactly (the
 * kernels' decoding equals the codec's, tested bit for bit) and activations stay float (no Q8
 * activation quantization), so only float summation error remains, about 1e-6 here.
 */
class CpuMatmulTest {

    static final double TOLERANCE = 2e-5;

    private static CpuBackend one;
    private static CpuBackend three;

    @BeforeAll
    static void start() {
        one = new CpuBackend(1);
        three = new CpuBackend(3);
    }

    @AfterAll
    static void stop() {
        one.close();
        three.close();
    }

    static List<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (GgmlType type : TestData.TYPES) {
            // 1, a few, and both sides of the switch from per-token dots to decoded panels
            int panel = CpuBackend.panelMinTokens(type);
            for (int tokens : new int[] {1, 3, 17, panel - 1, panel}) {
                cases.add(Arguments.of(type, tokens));
            }
        }
        return cases;
    }

    static GgmlType[] types() {
        return TestData.TYPES;
    }

    private static CpuMatrix input(CpuBackend b, long seed, int tokens, int cols) {
        CpuMatrix x = (CpuMatrix) b.allocate(tokens + 2, cols);
        float[] v = TestData.gaussian(seed, tokens * cols, 1f);
        System.arraycopy(v, 0, x.data(), 0, v.length);
        return x;
    }

    private static float[] run(CpuBackend b, Weight w, int matrix, CpuMatrix x, int tokens) {
        CpuMatrix out = (CpuMatrix) b.allocate(tokens + 1, w.rows());
        b.matmul(w, matrix, x, out, tokens);
        return TestData.prefix(out.data(), tokens * w.rows());
    }

    @ParameterizedTest(name = "{0}, {1} tokens")
    @MethodSource("cases")
    void matchesReferenceOnOneAndThreeThreads(GgmlType type, int tokens) {
        int rows = 37;
        int cols = TestData.oddCols(type);
        MemorySegment data = TestData.weights(type, 10, rows, cols, 1);
        float[] expected = ReferenceOps.matmul(ReferenceOps.dequantize(type, data, 0, rows, cols), rows, cols,
                input(one, 11, tokens, cols).data(), tokens);
        for (CpuBackend b : new CpuBackend[] {one, three}) {
            Weight w = b.weight(type, data, new long[] {cols, rows});
            float[] actual = run(b, w, 0, input(b, 11, tokens, cols), tokens);
            TestData.assertClose(actual, expected, TOLERANCE, type + " on " + b.threads() + " threads");
        }
    }

    /** 101 rows: several chunks per thread, and a last chunk that is not a multiple of four rows. */
    @ParameterizedTest
    @MethodSource("types")
    void batchedEqualsSingleTokensBitwiseAndThreadsAgree(GgmlType type) {
        int rows = 101;
        int cols = TestData.oddCols(type);
        // enough tokens for the panel path, whose prefixes below take the per-token path
        int tokens = Math.max(17, CpuBackend.panelMinTokens(type) + 5);
        MemorySegment data = TestData.weights(type, 12, rows, cols, 1);
        Weight w1 = one.weight(type, data, new long[] {cols, rows});
        Weight w3 = three.weight(type, data, new long[] {cols, rows});
        CpuMatrix x = input(three, 13, tokens, cols);
        float[] batched = run(three, w3, 0, x, tokens);
        assertThat(run(one, w1, 0, x, tokens)).as("1 vs 3 threads").containsExactly(batched);
        for (int n : new int[] {2, 3, 4, 5, 6, 7, 8, 9, 10, CpuBackend.panelMinTokens(type) - 1}) {
            float[] prefix = run(three, w3, 0, x, n);
            assertThat(prefix).as("first %d tokens", n).containsExactly(TestData.prefix(batched, n * rows));
        }
        CpuMatrix single = (CpuMatrix) three.allocate(1, cols);
        float[] row = new float[cols];
        for (int t = 0; t < tokens; t++) {
            x.readRow(t, row);
            single.writeRow(0, row);
            float[] alone = run(three, w3, 0, single, 1);
            float[] inBatch = java.util.Arrays.copyOfRange(batched, t * rows, (t + 1) * rows);
            assertThat(alone).as("token %d alone vs in a batch of %d", t, tokens).containsExactly(inBatch);
        }
    }

    @ParameterizedTest
    @MethodSource("types")
    void stackedWeightSelectsItsMatrix(GgmlType type) {
        int rows = 9;
        int cols = TestData.oddCols(type);
        int count = 3;
        MemorySegment data = TestData.weights(type, 14, rows, cols, count);
        Weight w = three.weight(type, data, new long[] {cols, rows, count});
        assertThat(w.count()).isEqualTo(count);
        CpuMatrix x = input(three, 15, 5, cols);
        float[] previous = null;
        for (int m = 0; m < count; m++) {
            float[] expected = ReferenceOps.matmul(ReferenceOps.dequantize(type, data, m, rows, cols), rows, cols, x.data(), 5);
            float[] actual = run(three, w, m, x, 5);
            TestData.assertClose(actual, expected, TOLERANCE, type + " matrix " + m);
            if (previous != null) {
                assertThat(actual).isNotEqualTo(previous);
            }
            previous = actual;
        }
    }

    @Test
    void zeroTokensWritesNothing() {
        MemorySegment data = TestData.weights(GgmlType.Q8_0, 16, 4, 32, 1);
        Weight w = three.weight(GgmlType.Q8_0, data, new long[] {32, 4});
        CpuMatrix out = (CpuMatrix) three.allocate(2, 4);
        java.util.Arrays.fill(out.data(), 7f);
        three.matmul(w, 0, three.allocate(2, 32), out, 0);
        assertThat(out.data()).containsOnly(7f);
    }

    @Test
    void rejectsBadShapes() {
        MemorySegment data = TestData.weights(GgmlType.Q8_0, 17, 4, 64, 2);
        Weight w = three.weight(GgmlType.Q8_0, data, new long[] {64, 4, 2});
        FloatMatrix x = three.allocate(3, 64);
        FloatMatrix out = three.allocate(3, 4);
        assertThatThrownBy(() -> three.matmul(w, 2, x, out, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> three.matmul(w, 0, three.allocate(3, 32), out, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> three.matmul(w, 0, x, three.allocate(3, 5), 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> three.matmul(w, 0, x, out, 4)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> three.weight(GgmlType.Q8_0, data, new long[] {48, 4})).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> three.weight(GgmlType.Q8_0, data, new long[] {64, 4, 3})).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> three.weight(GgmlType.TQ1_0, data, new long[] {256, 1})).isInstanceOf(UnsupportedOperationException.class);
    }

    /**
     * matmulHeads gives, bit for bit, what a matmul per head gives on that head's block of x copied
     * out, written into that head's block of out (and nothing else of out), for any token count.
     */
    @ParameterizedTest
    @MethodSource("types")
    void matmulHeadsIsAMatmulPerHeadOnItsBlocks(GgmlType type) {
        int rows = 9;
        int cols = TestData.oddCols(type);
        int heads = 3;
        int xStride = cols + 5;
        int outStride = rows + 2;
        MemorySegment data = TestData.weights(type, 16, rows, cols, heads);
        Weight w = three.weight(type, data, new long[] {cols, rows, heads});
        for (int tokens : new int[] {1, 4, 13}) {
            CpuMatrix x = input(three, 17, tokens, 3 + (heads - 1) * xStride + cols);
            CpuMatrix out = (CpuMatrix) three.allocate(tokens, 1 + (heads - 1) * outStride + rows + 4);
            java.util.Arrays.fill(out.data(), -7f);
            three.matmulHeads(w, x, 3, xStride, out, 1, outStride, heads, tokens);
            CpuMatrix block = (CpuMatrix) three.allocate(tokens, cols);
            boolean[] written = new boolean[out.cols()];
            for (int h = 0; h < heads; h++) {
                three.copyColumns(x, 3 + h * xStride, 0, block, 0, 0, cols, 1, tokens);
                float[] expected = run(three, w, h, block, tokens);
                for (int t = 0; t < tokens; t++) {
                    for (int r = 0; r < rows; r++) {
                        assertThat(out.data()[t * out.cols() + 1 + h * outStride + r])
                                .as("%s head %d token %d row %d of %d tokens", type, h, t, r, tokens)
                                .isEqualTo(expected[t * rows + r]);
                        written[1 + h * outStride + r] = true;
                    }
                }
            }
            for (int t = 0; t < tokens; t++) {
                for (int c = 0; c < out.cols(); c++) {
                    if (!written[c]) {
                        assertThat(out.data()[t * out.cols() + c]).as("column %d untouched", c).isEqualTo(-7f);
                    }
                }
            }
        }
    }

    @Test
    void matmulHeadsRefusesBlocksPastTheRowsOrOverlappingOutputs() {
        MemorySegment data = TestData.weights(GgmlType.F32, 18, 4, 8, 2);
        Weight w = one.weight(GgmlType.F32, data, new long[] {8, 4, 2});
        FloatMatrix x = one.allocate(2, 16);
        FloatMatrix out = one.allocate(2, 8);
        assertThatThrownBy(() -> one.matmulHeads(w, x, 1, 8, out, 0, 4, 2, 2)).hasMessageContaining("matmulHeads of");
        assertThatThrownBy(() -> one.matmulHeads(w, x, 0, 8, out, 0, 3, 2, 2)).hasMessageContaining("matmulHeads of");
        assertThatThrownBy(() -> one.matmulHeads(w, x, 0, 8, out, 0, 4, 3, 2)).hasMessageContaining("matmulHeads of");
        assertThatThrownBy(() -> one.matmulHeads(w, x, 0, 8, x, 8, 4, 2, 2)).hasMessageContaining("into its input");
    }
}
