package dev.switchyard.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.switchyard.kernels.ExpertFfnForm;
import dev.switchyard.kernels.RopeSpec;
import dev.switchyard.kernels.TopKRouting;
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
 * The non-matmul ops against {@link ReferenceOps}, for T in {1, 3, 17} and 1 and 3 threads. Rows
 * are 2100 wide (not a multiple of any vector width) so that 17 of them are enough work for the
 * ops to split over threads.
 *
 * <p>Tolerances, relative to the output's RMS: 1e-6 for add, mul, bias, gather and scatter-add (one
 * float rounding per element); 2e-6 for RMSNorm and RoPE (float arithmetic against double); 4e-6
 * for SiLU and softmax (the CPU exp is a polynomial good to a few ulp). Embedding and the squared
 * ReLU are exact.
 */
class CpuOpsTest {

    private static final int COLS = 2100;
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
        for (int threads : new int[] {1, 3}) {
            for (int tokens : new int[] {1, 3, 17}) {
                cases.add(Arguments.of(threads, tokens));
            }
        }
        return cases;
    }

    private static CpuBackend backend(int threads) {
        return threads == 1 ? one : three;
    }

    private static CpuMatrix matrix(CpuBackend b, float[] values, int cols) {
        CpuMatrix m = (CpuMatrix) b.allocate(values.length / cols, cols);
        System.arraycopy(values, 0, m.data(), 0, values.length);
        return m;
    }

    /** A matrix of 20 rows whose first {@code tokens} rows are the op's input; the rest must not change. */
    private static float[] rows(long seed, int cols) {
        return TestData.gaussian(seed, 20 * cols, 1.5f);
    }

    private static void assertUntouchedBeyond(float[] actual, float[] before, int tokens, int cols) {
        assertThat(java.util.Arrays.copyOfRange(actual, tokens * cols, actual.length))
                .containsExactly(java.util.Arrays.copyOfRange(before, tokens * cols, before.length));
    }

    @ParameterizedTest(name = "{0} threads, {1} tokens")
    @MethodSource("cases")
    void rmsNorm(int threads, int tokens) {
        CpuBackend b = backend(threads);
        float[] x = rows(1, COLS);
        float[] gamma = TestData.gaussian(2, COLS, 1f);
        float[] expected = ReferenceOps.rmsNorm(x, COLS, tokens, gamma, 1e-5f);
        CpuMatrix in = matrix(b, x, COLS);
        CpuMatrix out = matrix(b, x, COLS);
        b.rmsNorm(in, gamma, 1e-5f, out, tokens);
        TestData.assertClose(TestData.prefix(out.data(), tokens * COLS), TestData.prefix(expected, tokens * COLS), 2e-6, "rmsNorm");
        assertThat(in.data()).containsExactly(x);
        b.rmsNorm(in, gamma, 1e-5f, in, tokens);
        assertThat(in.data()).as("in place").containsExactly(out.data());
        assertUntouchedBeyond(in.data(), x, tokens, COLS);
    }

    @ParameterizedTest(name = "{0} threads, {1} tokens")
    @MethodSource("cases")
    void rmsNormHeads(int threads, int tokens) {
        CpuBackend b = backend(threads);
        int headDim = 70;
        float[] x = rows(3, COLS);
        float[] gamma = TestData.gaussian(4, headDim, 1f);
        float[] expected = ReferenceOps.rmsNormHeads(x, COLS, tokens, gamma, 1e-6f, headDim);
        CpuMatrix m = matrix(b, x, COLS);
        b.rmsNormHeads(m, gamma, 1e-6f, headDim, tokens);
        TestData.assertClose(TestData.prefix(m.data(), tokens * COLS), TestData.prefix(expected, tokens * COLS), 2e-6, "rmsNormHeads");
        assertUntouchedBeyond(m.data(), x, tokens, COLS);
    }

    @ParameterizedTest(name = "{0} threads, {1} tokens")
    @MethodSource("cases")
    void rmsNormHeadsWithAGammaPerColumn(int threads, int tokens) {
        CpuBackend b = backend(threads);
        int groupWidth = COLS / 2;
        float[] x = rows(13, COLS);
        float[] gamma = TestData.gaussian(14, COLS, 1f);
        float[] expected = ReferenceOps.rmsNormHeads(x, COLS, tokens, gamma, 1e-5f, groupWidth);
        CpuMatrix m = matrix(b, x, COLS);
        b.rmsNormHeads(m, gamma, 1e-5f, groupWidth, tokens);
        TestData.assertClose(TestData.prefix(m.data(), tokens * COLS), TestData.prefix(expected, tokens * COLS), 2e-6,
                "rmsNormHeads per column");
        assertUntouchedBeyond(m.data(), x, tokens, COLS);
    }

    @ParameterizedTest(name = "{0} threads, {1} tokens")
    @MethodSource("cases")
    void addBiasAddSiluMulSoftmax(int threads, int tokens) {
        CpuBackend b = backend(threads);
        float[] x = rows(5, COLS);
        float[] y = rows(6, COLS);
        float[] bias = TestData.gaussian(7, COLS, 1f);

        CpuMatrix m = matrix(b, x, COLS);
        b.addBias(m, bias, tokens);
        TestData.assertClose(m.data(), ReferenceOps.addBias(x, COLS, tokens, bias), 1e-6, "addBias");
        assertUntouchedBeyond(m.data(), x, tokens, COLS);

        // row 2 of a stack of three bias rows
        float[] stacked = TestData.gaussian(8, 3 * COLS, 1f);
        m = matrix(b, x, COLS);
        b.addBias(m, stacked, 2 * COLS, tokens);
        float[] row2 = java.util.Arrays.copyOfRange(stacked, 2 * COLS, 3 * COLS);
        TestData.assertClose(m.data(), ReferenceOps.addBias(x, COLS, tokens, row2), 1e-6, "addBias from an offset");
        CpuMatrix target = m;
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> b.addBias(target, stacked, 2 * COLS + 1, tokens))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("from offset " + (2 * COLS + 1));

        m = matrix(b, y, COLS);
        b.add(m, matrix(b, x, COLS), tokens);
        TestData.assertClose(m.data(), ReferenceOps.add(y, x, COLS, tokens), 1e-6, "add");
        assertUntouchedBeyond(m.data(), y, tokens, COLS);

        m = matrix(b, x, COLS);
        b.siluMul(m, matrix(b, y, COLS), tokens);
        TestData.assertClose(m.data(), ReferenceOps.siluMul(x, y, COLS, tokens), 4e-6, "siluMul");
        assertUntouchedBeyond(m.data(), x, tokens, COLS);

        m = matrix(b, y, COLS);
        b.sigmoidMul(matrix(b, x, COLS), m, tokens);
        TestData.assertClose(m.data(), ReferenceOps.sigmoidMul(x, y, COLS, tokens), 4e-6, "sigmoidMul");
        assertUntouchedBeyond(m.data(), y, tokens, COLS);

        m = matrix(b, y, COLS);
        b.mul(m, matrix(b, x, COLS), tokens);
        TestData.assertClose(m.data(), ReferenceOps.mul(y, x, COLS, tokens), 1e-6, "mul");
        assertUntouchedBeyond(m.data(), y, tokens, COLS);

        // scaled up so that some values pass the limit on either side
        float[] wideGate = scaled(x, 9f);
        float[] wideUp = scaled(y, 9f);
        m = matrix(b, wideGate, COLS);
        b.swigluClamped(m, matrix(b, wideUp, COLS), 1.702f, 7f, tokens);
        TestData.assertClose(m.data(), ReferenceOps.swigluClamped(wideGate, wideUp, 1.702f, 7f, COLS, tokens), 4e-6,
                "swigluClamped");
        assertUntouchedBeyond(m.data(), wideGate, tokens, COLS);

        int experts = 61;
        float[] logits = TestData.gaussian(8, 20 * experts, 3f);
        m = matrix(b, logits, experts);
        b.softmax(m, tokens);
        TestData.assertClose(m.data(), ReferenceOps.softmax(logits, experts, tokens), 4e-6, "softmax");
        for (int t = 0; t < tokens; t++) {
            double sum = 0;
            for (int i = 0; i < experts; i++) {
                sum += m.data()[t * experts + i];
            }
            assertThat(sum).isCloseTo(1.0, within(1e-6));
        }
    }

    /**
     * Exactly as the reference, one rounding per value: half the inputs negative, and the edge
     * values (zeros of both signs, NaN, infinities, squares that overflow, fall subnormal or
     * underflow) at the start of the first row (vector lanes) and the end of the last (the scalar
     * tail where the width is no multiple of the vector).
     */
    @ParameterizedTest(name = "{0} threads, {1} tokens")
    @MethodSource("cases")
    void reluSquared(int threads, int tokens) {
        CpuBackend b = backend(threads);
        float[] x = rows(15, COLS);
        float[] edges = {-0f, 0f, Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 2e19f, 1e-20f,
            Float.MIN_VALUE, -1e-30f, -3f, 3f};
        System.arraycopy(edges, 0, x, 0, edges.length);
        System.arraycopy(edges, 0, x, tokens * COLS - edges.length, edges.length);
        float[] expected = ReferenceOps.reluSquared(x, COLS, tokens);
        CpuMatrix m = matrix(b, x, COLS);
        b.reluSquared(m, tokens);
        // Float.equals: -0 is not +0, NaN is NaN
        assertThat(m.data()).containsExactly(expected);
        assertThat(java.util.Arrays.copyOf(m.data(), edges.length))
                .containsExactly(0f, 0f, Float.NaN, 0f, Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY,
                        1e-20f * 1e-20f, 0f, 0f, 0f, 9f);   // a subnormal square, not flushed to 0
        assertUntouchedBeyond(m.data(), x, tokens, COLS);
        assertThatThrownBy(() -> b.reluSquared(m, 21)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void routedExpertsRunOnTheHostPathOnly() {
        assertThat(one.routesOnDevice()).isFalse();
        CpuMatrix m = (CpuMatrix) one.allocate(1, 8);
        assertThatThrownBy(() -> one.routedExperts(m, m, null, null, null, ExpertFfnForm.SWIGLU, TopKRouting.softmax(2, true), m, 1, 0))
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("cpu routes on the host");
    }

    @Test
    void siluAndSoftmaxStayFiniteOnExtremeValues() {
        float[] g = {-1000f, -90f, -20f, -1e-30f, 0f, 1e-30f, 20f, 90f, 1000f, 3.4e38f, -3.4e38f};
        float[] up = new float[g.length];
        java.util.Arrays.fill(up, 1f);
        CpuMatrix gate = matrix(three, g, g.length);
        three.siluMul(gate, matrix(three, up, g.length), 1);
        float[] expected = ReferenceOps.siluMul(g, up, g.length, 1);
        for (int i = 0; i < g.length; i++) {
            assertThat(gate.data()[i]).as("silu(%s)", g[i]).isCloseTo(expected[i], within(Math.abs(expected[i]) * 1e-6f + 1e-30f));
        }
        float[] l = {1e30f, -1e30f, 0f, 1e30f};
        CpuMatrix s = matrix(three, l, l.length);
        three.softmax(s, 1);
        assertThat(s.data()).containsExactly(0.5f, 0f, 0f, 0.5f);
    }

    @ParameterizedTest(name = "{0} threads, {1} tokens")
    @MethodSource("cases")
    void gatherAndScatterAdd(int threads, int tokens) {
        CpuBackend b = backend(threads);
        float[] src = rows(9, COLS);
        float[] dst = rows(10, COLS);
        int[] picks = new int[tokens];
        float[] weights = new float[tokens];
        for (int i = 0; i < tokens; i++) {
            picks[i] = (i * 7 + 3) % 5; // repeats rows once tokens > 5
            weights[i] = 0.25f + i;
        }
        CpuMatrix d = matrix(b, dst, COLS);
        b.gatherRows(matrix(b, src, COLS), picks, d, tokens);
        assertThat(d.data()).containsExactly(ReferenceOps.gatherRows(src, COLS, picks, tokens, dst));

        d = matrix(b, dst, COLS);
        b.scatterAddRows(matrix(b, src, COLS), picks, weights, d, tokens);
        TestData.assertClose(d.data(), ReferenceOps.scatterAddRows(src, COLS, picks, weights, tokens, dst), 1e-6, "scatterAdd");
    }

    @ParameterizedTest(name = "{0} threads, {1} tokens")
    @MethodSource("cases")
    void scaleRowsMultipliesEachRowByItsFactorAndLeavesTheRestAlone(int threads, int tokens) {
        CpuBackend b = backend(threads);
        float[] x = rows(13, COLS);
        float[] factors = new float[tokens + 1];
        for (int t = 0; t < factors.length; t++) {
            factors[t] = (t % 5 - 2) * 0.75f;
        }
        int n = Math.max(0, tokens - 1);          // the last row is not scaled
        CpuMatrix m = matrix(b, x, COLS);
        b.scaleRows(m, factors, n);
        for (int i = 0; i < tokens; i++) {
            for (int c = 0; c < COLS; c++) {
                float expected = i < n ? x[i * COLS + c] * factors[i] : x[i * COLS + c];
                assertThat(m.data()[i * COLS + c]).as("row " + i + " col " + c).isEqualTo(expected);
            }
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> b.scaleRows(m, new float[0], 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest(name = "{0} threads, {1} tokens")
    @MethodSource("cases")
    void sigmoidGatedAddIsAScatterAddWeightedByEachTokensGate(int threads, int tokens) {
        CpuBackend b = backend(threads);
        float[] src = rows(11, COLS);
        float[] dst = rows(12, COLS);
        float[] gateLogits = new float[tokens * 2];    // the gate is column 0 of a (T, 2) matrix
        int[] identity = new int[tokens];
        float[] weights = new float[tokens];
        for (int t = 0; t < tokens; t++) {
            gateLogits[2 * t] = (t % 7 - 3) * 1.7f;
            gateLogits[2 * t + 1] = 1e9f;              // never read
            identity[t] = t;
            weights[t] = (float) (1.0 / (1.0 + Math.exp(-gateLogits[2 * t])));
        }
        CpuMatrix expected = matrix(b, dst, COLS);
        b.scatterAddRows(matrix(b, src, COLS), identity, weights, expected, tokens);
        CpuMatrix actual = matrix(b, dst, COLS);
        b.sigmoidGatedAdd(matrix(b, gateLogits, 2), matrix(b, src, COLS), actual, tokens);
        assertThat(actual.data()).containsExactly(expected.data());
    }

    static GgmlType[] types() {
        return TestData.TYPES;
    }

    @ParameterizedTest
    @MethodSource("types")
    void embedDecodesRowsExactly(GgmlType type) {
        int rows = 11;
        int cols = TestData.oddCols(type);
        MemorySegment data = TestData.weights(type, 20, rows, cols, 1);
        float[] table = ReferenceOps.dequantize(type, data, 0, rows, cols);
        Weight w = three.weight(type, data, new long[] {cols, rows});
        int[] ids = {10, 0, 3, 3, 7};
        CpuMatrix out = (CpuMatrix) three.allocate(6, cols);
        three.embed(w, ids, out, 5);
        for (int t = 0; t < 5; t++) {
            assertThat(java.util.Arrays.copyOfRange(out.data(), t * cols, (t + 1) * cols))
                    .containsExactly(java.util.Arrays.copyOfRange(table, ids[t] * cols, (ids[t] + 1) * cols));
        }
        assertThat(java.util.Arrays.copyOfRange(out.data(), 5 * cols, 6 * cols)).containsOnly(0f);
    }

    // ---- RoPE ------------------------------------------------------------------------------------

    static List<Arguments> ropeCases() {
        List<Arguments> cases = new ArrayList<>();
        for (boolean neox : new boolean[] {false, true}) {
            for (int tokens : new int[] {1, 3, 17}) {
                cases.add(Arguments.of(neox, tokens));
            }
        }
        return cases;
    }

    @ParameterizedTest(name = "neox {0}, {1} tokens")
    @MethodSource("ropeCases")
    void ropeMatchesReference(boolean neox, int tokens) {
        int heads = 5;
        int headDim = 64;
        int cols = heads * headDim + 6;
        RopeSpec spec = new RopeSpec(neox, 48, 500000, 2.0);
        int[] positions = new int[tokens];
        for (int t = 0; t < tokens; t++) {
            positions[t] = t * 977 % 4099;
        }
        float[] x = TestData.gaussian(21, 20 * cols, 1f);
        float[] expected = ReferenceOps.rope(x, cols, tokens, positions, heads, headDim, spec);
        for (CpuBackend b : new CpuBackend[] {one, three}) {
            CpuMatrix m = matrix(b, x, cols);
            b.rope(m, positions, heads, headDim, spec, tokens);
            TestData.assertClose(m.data(), expected, 2e-6, "rope");
            for (int t = 0; t < tokens; t++) {
                for (int h = 0; h < heads; h++) {
                    for (int i = 48; i < headDim; i++) {
                        int at = t * cols + h * headDim + i;
                        assertThat(m.data()[at]).as("unrotated tail").isEqualTo(x[at]);
                    }
                }
                for (int i = heads * headDim; i < cols; i++) {
                    assertThat(m.data()[t * cols + i]).as("columns beyond the heads").isEqualTo(x[t * cols + i]);
                }
            }
            assertUntouchedBeyond(m.data(), x, tokens, cols);
        }
    }

    @Test
    void yarnRopeMatchesReference() {
        int heads = 3;
        int headDim = 128;
        int cols = heads * headDim;
        int[] positions = {0, 5, 4000, 40_000, 131_000};
        float[] x = TestData.gaussian(24, positions.length * cols, 1f);
        for (boolean neox : new boolean[] {false, true}) {
            RopeSpec spec = new RopeSpec(neox, 128, 1_000_000, 1, new RopeSpec.Yarn(4, 32768, 32, 1, 1, 0.9));
            float[] expected = ReferenceOps.rope(x, cols, positions.length, positions, heads, headDim, spec);
            CpuMatrix m = matrix(three, x, cols);
            three.rope(m, positions, heads, headDim, spec, positions.length);
            TestData.assertClose(m.data(), expected, 2e-6, "yarn rope, neox " + neox);
            float[] plain = ReferenceOps.rope(x, cols, positions.length, positions, heads, headDim,
                    new RopeSpec(neox, 128, 1_000_000, 1));
            assertThat(m.data()).as("YaRN changes the rotation").isNotEqualTo(plain);
        }
    }

    @Test
    void ropeAtPositionZeroIsIdentity() {
        float[] x = TestData.gaussian(22, 3 * 128, 1f);
        for (boolean neox : new boolean[] {false, true}) {
            CpuMatrix m = matrix(three, x, 128);
            three.rope(m, new int[] {0, 0, 0}, 2, 64, new RopeSpec(neox, 64, 10000, 1), 3);
            assertThat(m.data()).containsExactly(x);
        }
    }

    @Test
    void ropeByHand() {
        // head of 4, base 10000: pair 0 turns by position * 1, pair 1 by position * 10000^(-1/2).
        float[] x = {1f, 0f, 0f, 1f};
        CpuMatrix normal = matrix(three, x, 4);
        three.rope(normal, new int[] {1}, 1, 4, new RopeSpec(false, 4, 10000, 1), 1);
        float c1 = (float) Math.cos(1);
        float s1 = (float) Math.sin(1);
        float c2 = (float) Math.cos(0.01);
        float s2 = (float) Math.sin(0.01);
        // Adjacent pairs (x0, x1) and (x2, x3).
        assertThat(normal.data()).containsExactly(new float[] {c1, s1, -s2, c2}, within(1e-7f));
        CpuMatrix neox = matrix(three, x, 4);
        three.rope(neox, new int[] {1}, 1, 4, new RopeSpec(true, 4, 10000, 1), 1);
        // Halves: pairs (x0, x2) and (x1, x3).
        assertThat(neox.data()).containsExactly(new float[] {c1, -s2, s1, c2}, within(1e-7f));
        assertThat(neox.data()).isNotEqualTo(normal.data());
    }

    @Test
    void ropeLinearScaleDividesThePosition() {
        float[] x = TestData.gaussian(23, 2 * 64, 1f);
        CpuMatrix scaled = matrix(three, x, 64);
        three.rope(scaled, new int[] {6, 10}, 1, 64, new RopeSpec(true, 64, 10000, 4), 2);
        CpuMatrix plain = matrix(three, x, 64);
        three.rope(plain, new int[] {6, 10}, 1, 64, new RopeSpec(true, 64, 10000, 1), 2);
        CpuMatrix quarter = matrix(three, x, 64);
        // 10 / 4 = 2.5 is not an integer position, so compare the first token only: 6 / 4 vs 1.5.
        three.rope(quarter, new int[] {6, 10}, 1, 64, new RopeSpec(true, 64, 10000, 1), 2);
        assertThat(scaled.data()).isNotEqualTo(plain.data());
        float[] expected = ReferenceOps.rope(x, 64, 2, new int[] {6, 10}, 1, 64, new RopeSpec(true, 64, 10000, 4));
        TestData.assertClose(scaled.data(), expected, 2e-6, "scaled rope");
        CpuMatrix twice = matrix(three, x, 64);
        three.rope(twice, new int[] {8, 12}, 1, 64, new RopeSpec(true, 64, 10000, 4), 2);
        CpuMatrix once = matrix(three, x, 64);
        three.rope(once, new int[] {2, 3}, 1, 64, new RopeSpec(true, 64, 10000, 1), 2);
        assertThat(twice.data()).as("position 8 / 4 is position 2").containsExactly(once.data());
    }

    @Test
    void copyColumnsMovesStridedBlocksAndNothingElse() {
        int rows = 3;
        float[] src = new float[rows * 40];
        for (int i = 0; i < src.length; i++) {
            src[i] = i;
        }
        var a = one.allocate(4, 40);
        var b = one.allocate(4, 30);
        for (int r = 0; r < rows; r++) {
            a.writeRow(r, java.util.Arrays.copyOfRange(src, r * 40, r * 40 + 40));
        }
        float[] untouched = new float[30];
        java.util.Arrays.fill(untouched, -1f);
        for (int r = 0; r < 4; r++) {
            b.writeRow(r, untouched);
        }
        // three blocks of 4 taken every 10 columns from column 2, put every 6 from column 5
        one.copyColumns(a, 2, 10, b, 5, 6, 4, 3, rows);
        float[][] out = new float[4][30];
        b.readRows(0, 4, out);
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 30; c++) {
                int g = (c - 5) / 6;
                int i = (c - 5) % 6;
                boolean copied = r < rows && c >= 5 && g < 3 && i < 4;
                assertThat(out[r][c]).as("row %d column %d", r, c).isEqualTo(copied ? src[r * 40 + 2 + g * 10 + i] : -1f);
            }
        }
    }

    @Test
    void copyColumnsRefusesBlocksPastARowOverlappingOrInPlace() {
        var a = one.allocate(2, 40);
        var b = one.allocate(2, 30);
        assertThatThrownBy(() -> one.copyColumns(a, 30, 0, b, 0, 0, 11, 1, 2)).hasMessageContaining("copyColumns of");
        assertThatThrownBy(() -> one.copyColumns(a, 0, 8, b, 0, 8, 8, 4, 2)).hasMessageContaining("copyColumns of");
        assertThatThrownBy(() -> one.copyColumns(a, 0, 10, b, 0, 3, 4, 2, 2)).hasMessageContaining("blocks apart");
        assertThatThrownBy(() -> one.copyColumns(a, 0, 0, a, 20, 0, 4, 1, 2)).hasMessageContaining("within one matrix");
        assertThatThrownBy(() -> one.copyColumns(a, 0, 0, b, 0, 0, 4, 1, 3)).isInstanceOf(IllegalArgumentException.class);
    }

    private static float[] scaled(float[] x, float by) {
        float[] out = x.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] *= by;
        }
        return out;
    }
}
