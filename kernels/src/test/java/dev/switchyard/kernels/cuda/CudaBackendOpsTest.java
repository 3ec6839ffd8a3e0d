package dev.switchyard.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.switchyard.kernels.AttentionBatch;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.KvStorage;
import dev.switchyard.kernels.RecurrentStates;
import dev.switchyard.kernels.RopeSpec;
import java.util.Arrays;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * Every non-matmul op of the CUDA backend against the CPU backend on the same inputs. Copies (of
 * rows and of strided column blocks) and fused multiply-adds in the CPU's order must match exactly;
 * reductions (norms, softmax) and transcendental functions (SiLU, RoPE's angles) within 1e-6 of the
 * output's RMS.
 */
class CudaBackendOpsTest extends AgainstCpuTest {

    private static final int T = 5;
    private static final int COLS = 300;   // not a multiple of a block's 256 threads

    /** Runs {@code op} on both backends over matrices holding {@code inputs}; returns {cuda, cpu} of matrix 0's first {@code rows} rows. */
    private static float[][] both(int rows, int cols, float[][] inputs, int[] inputRows, BiConsumer<Backend, FloatMatrix[]> op) {
        float[][] result = new float[2][];
        Backend[] backends = {cuda, cpu};
        for (int b = 0; b < 2; b++) {
            FloatMatrix[] m = new FloatMatrix[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                m[i] = GpuTests.matrix(backends[b], inputs[i], inputRows[i], inputs[i].length / inputRows[i]);
            }
            op.accept(backends[b], m);
            result[b] = GpuTests.read(m[0], rows);
        }
        return result;
    }

    private static float[] data(long seed, int n) {
        return GpuTests.gaussian(seed, n, 1.5f);
    }

    @Test
    void rmsNormMatchesInPlaceAndIntoAnotherMatrix() {
        float[] gamma = data(2, COLS);
        float[][] into = both(T, COLS, new float[][] {new float[T * COLS], data(1, T * COLS)}, new int[] {T, T},
                (b, m) -> b.rmsNorm(m[1], gamma, 1e-5f, m[0], T));
        GpuTests.assertClose(into[0], into[1], 1e-6, "rmsNorm");
        float[][] inPlace = both(T, COLS, new float[][] {data(1, T * COLS)}, new int[] {T},
                (b, m) -> b.rmsNorm(m[0], gamma, 1e-5f, m[0], T));
        GpuTests.assertClose(inPlace[0], inPlace[1], 1e-6, "rmsNorm in place");
    }

    @Test
    void rmsNormHeadsNormalizesEachHead() {
        float[] gamma = data(4, 64);
        float[][] r = both(T, 6 * 64, new float[][] {data(3, T * 6 * 64)}, new int[] {T},
                (b, m) -> b.rmsNormHeads(m[0], gamma, 1e-6f, 64, T));
        GpuTests.assertClose(r[0], r[1], 1e-6, "rmsNormHeads");
    }

    @Test
    void addBiasAddAndSiluMul() {
        float[] bias = data(5, COLS);
        float[][] biased = both(T, COLS, new float[][] {data(6, T * COLS)}, new int[] {T}, (b, m) -> b.addBias(m[0], bias, T - 1));
        assertThat(biased[0]).containsExactly(biased[1]);
        float[] stacked = data(15, 3 * COLS);
        float[][] fromRow = both(T, COLS, new float[][] {data(6, T * COLS)}, new int[] {T},
                (b, m) -> b.addBias(m[0], stacked, 2 * COLS, T));
        assertThat(fromRow[0]).as("a bias row at an offset").containsExactly(fromRow[1]);
        float[][] sum = both(T, COLS, new float[][] {data(7, T * COLS), data(8, T * COLS)}, new int[] {T, T},
                (b, m) -> b.add(m[0], m[1], T));
        assertThat(sum[0]).containsExactly(sum[1]);
        float[][] silu = both(T, COLS, new float[][] {data(9, T * COLS), data(10, T * COLS)}, new int[] {T, T},
                (b, m) -> b.siluMul(m[0], m[1], T));
        GpuTests.assertClose(silu[0], silu[1], 1e-6, "siluMul");
        float[][] clamped = both(T, COLS, new float[][] {data(12, T * COLS), data(13, T * COLS)}, new int[] {T, T},
                (b, m) -> {
                    b.addBias(m[0], data(14, COLS), T);
                    b.swigluClamped(m[0], m[1], 1.702f, 7f, T);
                });
        GpuTests.assertClose(clamped[0], clamped[1], 1e-6, "swigluClamped");
    }

    @Test
    void mulMultipliesValueByValue() {
        float[][] product = both(T, COLS, new float[][] {data(61, T * COLS), data(62, T * COLS)}, new int[] {T, T},
                (b, m) -> b.mul(m[0], m[1], T));
        assertThat(product[0]).containsExactly(product[1]);
    }

    /** Exactly as the CPU, edge values among them; the last row left as it was. */
    @Test
    void reluSquaredSquaresThePositivesAndZeroesTheRest() {
        float[] x = data(63, T * COLS);
        float[] edges = {-0f, 0f, Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 2e19f, 1e-20f,
            Float.MIN_VALUE, -1e-30f, -3f, 3f};
        System.arraycopy(edges, 0, x, (T - 1) * COLS - edges.length, edges.length);
        float[][] squared = both(T, COLS, new float[][] {x}, new int[] {T}, (b, m) -> b.reluSquared(m[0], T - 1));
        assertThat(squared[0]).containsExactly(squared[1]);
    }

    @Test
    void shortConvWeighsEachTokensLastRowsInTheCpusOrder() {
        int block = 4;
        int blocks = 6;
        int slots = block * blocks;
        int length = 3;
        float[] rows = data(63, slots * COLS);
        float[] taps = data(64, length * COLS);
        int[][] tables = {{3, 0, 5}, {1, 4}};
        int[] seq = {0, 0, 0, 0, 1, 1, 1};
        int[] pos = {0, 1, 5, 11, 2, 4, 7};
        int[] all = new int[slots];
        Arrays.setAll(all, i -> i);
        float[][] out = new float[2][];
        Backend[] backends = {cuda, cpu};
        for (int b = 0; b < 2; b++) {
            Backend be = backends[b];
            try (KvStorage kv = be.allocateKv(1, blocks, block, 1, COLS, 0,
                    KvCacheType.F32)) {
                be.storeKv(kv, 0, GpuTests.matrix(be, rows, slots, COLS), null, all, slots);
                FloatMatrix m = be.allocate(seq.length, COLS);
                be.shortConv(kv, 0, new AttentionBatch(seq.length, seq, pos, tables, 1, 1, COLS, COLS,
                        1f), taps, length, m);
                out[b] = GpuTests.read(m, seq.length);
            }
        }
        assertThat(out[0]).containsExactly(out[1]);
    }

    /**
     * Two sequences interleaved, carried over calls, one starting afresh at position 0 while the
     * other goes on; tiled and grouped key heads, widths that are not whole warps and 128 x 128.
     * Within 1e-5 of the RMS, and most values bit for bit: only the double exp, log1p and sqrt and
     * the order of the double sum of squares may differ from the CPU's (see DeltaNetOnHostTest).
     */
    @Test
    void gatedDeltaNetCarriesEachSequencesStateInTheCpusOrder() {
        // key heads, heads, dk, dv, tiled
        int[][] shapes = {{2, 6, 20, 36, 1}, {2, 6, 20, 36, 0}, {2, 4, 128, 128, 0}};
        int[][] seq = {{2, 0, 2, 0, 2}, {0, 2, 2}, {2, 0, 2}};
        int[][] pos = {{0, 0, 1, 1, 2}, {2, 3, 4}, {0, 3, 1}};
        for (int[] shape : shapes) {
            int keyHeads = shape[0];
            int heads = shape[1];
            int dk = shape[2];
            int dv = shape[3];
            boolean tiled = shape[4] == 1;
            int width = 2 * keyHeads * dk + heads * dv;
            float[] dtBias = GpuTests.gaussian(71, heads, 1f);
            float[] decay = GpuTests.gaussian(72, heads, 1f);
            for (int h = 0; h < heads; h++) {
                decay[h] = -0.05f - Math.abs(decay[h]);
            }
            float[][][] out = new float[2][seq.length][];
            Backend[] backends = {cuda, cpu};
            for (int b = 0; b < 2; b++) {
                Backend be = backends[b];
                try (RecurrentStates states = be.allocateStates(2, 4, heads, dk, dv)) {
                    for (int s = 0; s < seq.length; s++) {
                        int t = seq[s].length;
                        float[] alpha = GpuTests.gaussian(80 + s, t * heads, 2f);
                        if (s == 0) {
                            alpha[3 * heads + 1] = 30f;   // past softplus' linear threshold
                        }
                        FloatMatrix o = be.allocate(t, heads * dv);
                        FloatMatrix qkv = GpuTests.matrix(be, GpuTests.gaussian(73 + s, t * width, 1f), t, width);
                        be.gatedDeltaNet(states, 1, seq[s], pos[s], qkv, GpuTests.matrix(be, data(76 + s, t * heads), t, heads),
                                GpuTests.matrix(be, alpha, t, heads), dtBias, decay, keyHeads, tiled, 1e-6f, o, t);
                        out[b][s] = GpuTests.read(o, t);
                    }
                }
            }
            for (int s = 0; s < seq.length; s++) {
                String what = "gatedDeltaNet " + Arrays.toString(shape) + ", call " + s;
                GpuTests.assertClose(out[0][s], out[1][s], 1e-5, what);
                GpuTests.assertMostlyBitForBit(out[0][s], out[1][s], what);
            }
        }
        assertThatThrownBy(() -> cuda.allocateStates(1, 1, 1, CudaKernels.DELTA_NET_MAX_KEY_DIM + 1, 64))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("CUDA gated delta net");
    }

    /**
     * Mamba2's selective scan as the gated delta rule above: two sequences interleaved, carried over
     * calls, one starting afresh at position 0 while the other goes on, a step size past softplus'
     * linear threshold; one group and several, 36 channels (not a whole warp), Granite 4.0-H's 64
     * channels over 128 states and the widest heads. Within 1e-5 of the RMS, and most values bit for
     * bit: only the double exp and log1p may differ from the CPU's (see SelectiveScanOnHostTest).
     */
    @Test
    void selectiveScanCarriesEachSequencesStateInTheCpusOrder() {
        // groups, heads, states, channels
        int widest = CudaKernels.DELTA_NET_MAX_VALUE_DIM;
        int[][] shapes = {{1, 6, 20, 36}, {3, 6, 20, 36}, {1, 4, 128, 64}, {2, 2, widest, widest}};
        int[][] seq = {{2, 0, 2, 0, 2}, {0, 2, 2}, {2, 0, 2}};
        int[][] pos = {{0, 0, 1, 1, 2}, {2, 3, 4}, {0, 3, 1}};
        for (int[] shape : shapes) {
            int groups = shape[0];
            int heads = shape[1];
            int ds = shape[2];
            int dc = shape[3];
            int width = heads * dc + 2 * groups * ds;
            float[] dtBias = GpuTests.gaussian(101, heads, 1f);
            float[] decay = GpuTests.gaussian(102, heads, 1f);
            for (int h = 0; h < heads; h++) {
                decay[h] = -0.05f - Math.abs(decay[h]);
            }
            float[] skip = GpuTests.gaussian(103, heads, 1f);
            float[][][] out = new float[2][seq.length][];
            Backend[] backends = {cuda, cpu};
            for (int b = 0; b < 2; b++) {
                Backend be = backends[b];
                try (RecurrentStates states = be.allocateStates(2, 4, heads, ds, dc)) {
                    for (int s = 0; s < seq.length; s++) {
                        int t = seq[s].length;
                        float[] dt = GpuTests.gaussian(110 + s, t * heads, 2f);
                        if (s == 0) {
                            dt[3 * heads + 1] = 30f;   // past softplus' linear threshold
                        }
                        FloatMatrix o = be.allocate(t, heads * dc);
                        FloatMatrix xbc = GpuTests.matrix(be, GpuTests.gaussian(104 + s, t * width, 1f), t, width);
                        be.selectiveScan(states, 1, seq[s], pos[s], xbc, GpuTests.matrix(be, dt, t, heads), dtBias, decay,
                                skip, groups, o, t);
                        out[b][s] = GpuTests.read(o, t);
                    }
                }
            }
            for (int s = 0; s < seq.length; s++) {
                String what = "selectiveScan " + Arrays.toString(shape) + ", call " + s;
                GpuTests.assertClose(out[0][s], out[1][s], 1e-5, what);
                GpuTests.assertMostlyBitForBit(out[0][s], out[1][s], what);
            }
        }
    }

    @Test
    void aCopiedStateGoesOnAsTheOriginalDoes() {
        int heads = 4;
        int dk = 32;
        int dv = 32;
        int width = 2 * 2 * dk + heads * dv;
        float[] dtBias = GpuTests.gaussian(91, heads, 1f);
        float[] decay = {-0.1f, -0.2f, -0.3f, -0.4f};
        try (RecurrentStates states = cuda.allocateStates(2, 4, heads, dk, dv)) {
            float[][] out = new float[3][];
            int[][] seq = {{2, 2, 2}, {2, 2}, {3, 3}};
            int[][] pos = {{0, 1, 2}, {3, 4}, {3, 4}};
            for (int s = 0; s < seq.length; s++) {
                int t = seq[s].length;
                int inputs = s == 0 ? 0 : 1; // the copy and the original go on from the same inputs
                FloatMatrix o = cuda.allocate(t, heads * dv);
                cuda.gatedDeltaNet(states, 1, seq[s], pos[s],
                        GpuTests.matrix(cuda, GpuTests.gaussian(92 + inputs, t * width, 1f), t, width),
                        GpuTests.matrix(cuda, data(94 + inputs, t * heads), t, heads),
                        GpuTests.matrix(cuda, data(96 + inputs, t * heads), t, heads), dtBias, decay, 2, true, 1e-6f, o, t);
                out[s] = GpuTests.read(o, t);
                if (s == 0) {
                    cuda.copyState(states, 2, 3);
                }
            }
            assertThat(out[2]).containsExactly(out[1]);
        }
    }

    @Test
    void changedVectorsAreSentAgain() {
        float[] bias = data(11, COLS);
        float[][] first = both(1, COLS, new float[][] {new float[COLS]}, new int[] {1}, (b, m) -> b.addBias(m[0], bias, 1));
        bias[17] += 1f;
        float[][] second = both(1, COLS, new float[][] {new float[COLS]}, new int[] {1}, (b, m) -> b.addBias(m[0], bias, 1));
        assertThat(second[0]).containsExactly(second[1]);
        assertThat(second[0][17]).isEqualTo(first[0][17] + 1f);
    }

    @Test
    void softmaxRows() {
        float[][] r = both(T, 60, new float[][] {data(12, T * 60)}, new int[] {T}, (b, m) -> b.softmax(m[0], T));
        GpuTests.assertClose(r[0], r[1], 1e-6, "softmax");
    }

    @Test
    void ropeInBothLayoutsWithPartialRotationAndLinearScaling() {
        int heads = 4;
        int headDim = 64;
        int[] positions = {0, 1, 17, 300, 4095};
        for (RopeSpec spec : new RopeSpec[] {
            new RopeSpec(false, 64, 10000, 1), new RopeSpec(true, 64, 1_000_000, 1),
            new RopeSpec(true, 32, 10000, 4), new RopeSpec(false, 48, 500_000, 2),
            new RopeSpec(true, 64, 1_000_000, 1, new RopeSpec.Yarn(4, 2048, 32, 1, 1, 0.9))}) {
            float[][] r = both(T, heads * headDim + 8, new float[][] {data(13, T * (heads * headDim + 8))}, new int[] {T},
                    (b, m) -> b.rope(m[0], positions, heads, headDim, spec, T));
            GpuTests.assertClose(r[0], r[1], 1e-6, "rope " + spec);
        }
    }

    @Test
    void aRunOfRowsReadsInOneCopyWhatRowByRowReads() {
        float[] values = data(21, T * COLS);
        FloatMatrix m = GpuTests.matrix(cuda, values, T, COLS);
        float[][] run = new float[T][COLS];
        m.readRows(1, T - 2, run);
        for (int r = 1; r < T - 1; r++) {
            float[] one = new float[COLS];
            m.readRow(r, one);
            assertThat(run[r]).as("row %d", r).containsExactly(one);
        }
        assertThat(run[0]).containsOnly(0f);
        assertThat(run[T - 1]).containsOnly(0f);
    }

    @Test
    void topRowsPickTheCpusTokensInItsOrder() {
        int cols = 32000;
        int rows = 7;
        float[] logits = GpuTests.gaussian(20, rows * cols, 4f);
        logits[cols + 31000] = 40f;                    // row 1: a three-way tie, the lowest id first
        logits[cols + 900] = 40f;
        logits[cols + 20000] = 40f;
        logits[2 * cols + 77] = Float.NaN;             // row 2: the sampler must see it
        logits[3 * cols + cols - 1] = Float.POSITIVE_INFINITY;
        Arrays.fill(logits, 4 * cols, 5 * cols, Float.NEGATIVE_INFINITY);  // row 4: all masked
        Arrays.fill(logits, 5 * cols, 6 * cols, Float.NEGATIVE_INFINITY);  // row 5: one left
        logits[5 * cols + 12345] = -3f;
        for (int i = 0; i < cols; i += 2) {            // row 6: half the row tied
            logits[6 * cols + i] = 2f;
        }
        Backend[] backends = {cuda, cpu};
        for (int count : new int[] {1, 5, Backend.MAX_TOP_ROWS}) {
            int[][] ids = new int[2][rows * count];
            float[][] values = new float[2][rows * count];
            double[][] logZ = new double[2][rows];
            for (int b = 0; b < 2; b++) {
                backends[b].topRows(GpuTests.matrix(backends[b], logits, rows, cols), rows, count, ids[b], values[b],
                        logZ[b]);
            }
            assertThat(ids[0][count]).isEqualTo(900);
            assertThat(ids[0][5 * count]).isEqualTo(12345);
            for (int r = 0; r < rows; r++) {
                int first = r * count;
                if (ids[1][first] < 0) {
                    assertThat(ids[0][first]).as("row %d", r).isEqualTo(-1);
                    assertThat(logZ[0][r]).as("row %d", r).isNaN();
                    continue;
                }
                assertThat(Arrays.copyOfRange(ids[0], first, first + count)).as("row %d, %d best", r, count)
                        .containsExactly(Arrays.copyOfRange(ids[1], first, first + count));
                assertThat(Arrays.copyOfRange(values[0], first, first + count))
                        .containsExactly(Arrays.copyOfRange(values[1], first, first + count));
                assertThat(logZ[0][r]).as("row %d", r).isCloseTo(logZ[1][r], within(1e-12));
            }
        }
    }

    @Test
    void sigmoidGatedAddWeighsEachTokenByItsGate() {
        float[] gate = data(17, T * 3);   // (T, 3): column 0 is the gate
        float[][] r = both(T, COLS, new float[][] {data(18, T * COLS), data(19, T * COLS), gate}, new int[] {T, T, T},
                (b, m) -> b.sigmoidGatedAdd(m[2], m[1], m[0], T));
        GpuTests.assertClose(r[0], r[1], 1e-6, "sigmoidGatedAdd");
    }

    @Test
    void gatherAndWeightedScatterAddWithRepeatedRows() {
        int[] rows = {4, 0, 4, 2};
        float[][] gathered = both(rows.length, COLS, new float[][] {new float[rows.length * COLS], data(14, T * COLS)},
                new int[] {rows.length, T}, (b, m) -> b.gatherRows(m[1], rows, m[0], rows.length));
        assertThat(gathered[0]).containsExactly(gathered[1]);
        float[] weights = {0.25f, -1.5f, 0.75f, 2f};
        float[][] scattered = both(T, COLS, new float[][] {data(15, T * COLS), data(16, rows.length * COLS)},
                new int[] {T, rows.length}, (b, m) -> b.scatterAddRows(m[1], rows, weights, m[0], rows.length));
        assertThat(scattered[0]).containsExactly(scattered[1]);
    }

    /** Latent attention's head slices and shapes off the warp and block sizes, rows short of T; bit for bit. */
    @Test
    void copyColumnsCopiesStridedBlocks() {
        int[][] copies = {
            // srcCols, srcCol, srcStride, dstCols, dstCol, dstStride, width, groups, rows
            {310, 7, 0, 300, 0, 0, 300, 1, T},
            {8 * 192, 128, 192, 8 * 64 + 5, 5, 64, 64, 8, T},
            {7 * 50 + 3, 11, 50, 7 * 41 + 9, 2, 41, 37, 7, T - 1},
            {90, 13, 0, 400, 1, 80, 77, 5, 2},
        };
        for (int[] c : copies) {
            float[][] r = both(T, c[3], new float[][] {data(22, T * c[3]), data(23, T * c[0])}, new int[] {T, T},
                    (b, m) -> b.copyColumns(m[1], c[1], c[2], m[0], c[4], c[5], c[6], c[7], c[8]));
            assertThat(r[0]).as("copyColumns %s", Arrays.toString(c)).containsExactly(r[1]);
        }
    }

    /** Overlapping destination blocks would race on the GPU, where the CPU's last write wins: refused. */
    @Test
    void copyColumnsRefusesOverlappingDestinationBlocks() {
        FloatMatrix src = cuda.allocate(T, COLS);
        FloatMatrix dst = cuda.allocate(T, COLS);
        assertThatThrownBy(() -> cuda.copyColumns(src, 0, 40, dst, 0, 20, 30, 3, T))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
