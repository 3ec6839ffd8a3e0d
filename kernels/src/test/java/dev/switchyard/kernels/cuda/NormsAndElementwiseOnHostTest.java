package dev.switchyard.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.cpu.CpuBackend;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The norms ({@code norm.cu}) and the elementwise ops and row shuffles ({@code elementwise.cu}) run
 * on the host, their threads as fibers ({@code kernels/src/test/cuda/elementwise_host.cpp}),
 * each launched as {@link CudaKernels} launches it, against the CPU backend on the same inputs: rows
 * wider than a block of 256 threads, heads not a multiple of a warp's 32 lanes, a bias over more
 * values than the grid's 4096 blocks of 256 threads hold (so threads stride past the grid), repeated
 * rows in gather and scatter-add, products value by value (LFM2's gates), the squared ReLU over
 * negatives, zeros of both signs, NaN and infinities, a scatter of no rows, and strided column copies (one block and
 * many, strides past the width, widths off the warp and the block, offsets on both sides, a
 * source block copied to several places, the rows past the count untouched). Copies and fused
 * multiply-adds in the CPU's order exactly; reductions (norms, softmax) and transcendental
 * functions (SiLU, the sigmoid gate) within 1e-6 of the output's RMS, as {@code CudaBackendOpsTest}
 * holds the GPU to. Skipped, with the reason, where no C++ compiler or no source tree is at hand.
 */
@SuppressWarnings("restricted")
class NormsAndElementwiseOnHostTest {

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout ADDRESS = ValueLayout.ADDRESS;
    private static final int T = 5;
    private static final int COLS = 300;   // not a multiple of a block's 256 threads

    @TempDir
    static Path dir;

    private static MethodHandle rmsNorm;
    private static MethodHandle rmsNormHeads;
    private static MethodHandle addBias;
    private static MethodHandle add;
    private static MethodHandle siluMul;
    private static MethodHandle sigmoidMul;
    private static MethodHandle mul;
    private static MethodHandle reluSquared;
    private static MethodHandle swigluClamped;
    private static MethodHandle softmax;
    private static MethodHandle gatherRows;
    private static MethodHandle sigmoidGatedAdd;
    private static MethodHandle scatterAddRows;
    private static MethodHandle scaleRows;
    private static MethodHandle copyColumns;
    private static CpuBackend cpu;

    @BeforeAll
    static void build() throws IOException, InterruptedException {
        SymbolLookup lookup = HostHarness.build("kernels/src/test/cuda/elementwise_host.cpp", dir, "-std=c++20", "-pthread");
        rmsNorm = bind(lookup, "rms_norm_host", ADDRESS, ADDRESS, FLOAT, ADDRESS, INT, INT);
        rmsNormHeads = bind(lookup, "rms_norm_heads_host", ADDRESS, ADDRESS, FLOAT, INT, INT, INT, INT);
        addBias = bind(lookup, "add_bias_host", ADDRESS, ADDRESS, LONG, INT);
        add = bind(lookup, "add_host", ADDRESS, ADDRESS, LONG);
        siluMul = bind(lookup, "silu_mul_host", ADDRESS, ADDRESS, LONG);
        sigmoidMul = bind(lookup, "sigmoid_mul_host", ADDRESS, ADDRESS, LONG);
        mul = bind(lookup, "mul_host", ADDRESS, ADDRESS, LONG);
        reluSquared = bind(lookup, "relu_squared_host", ADDRESS, LONG);
        swigluClamped = bind(lookup, "swiglu_clamped_host", ADDRESS, ADDRESS, FLOAT, FLOAT, LONG);
        softmax = bind(lookup, "softmax_rows_host", ADDRESS, INT, INT);
        gatherRows = bind(lookup, "gather_rows_host", ADDRESS, ADDRESS, ADDRESS, INT, INT);
        sigmoidGatedAdd = bind(lookup, "sigmoid_gated_add_host", ADDRESS, INT, ADDRESS, ADDRESS, INT, INT);
        scatterAddRows = bind(lookup, "scatter_add_rows_host", ADDRESS, ADDRESS, ADDRESS, ADDRESS, INT, INT);
        scaleRows = bind(lookup, "scale_rows_host", ADDRESS, ADDRESS, INT, INT);
        copyColumns = bind(lookup, "copy_columns_host", ADDRESS, INT, INT, INT, ADDRESS, INT, INT, INT, INT, INT, INT);
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void stop() {
        if (cpu != null) {
            cpu.close();
        }
    }

    private static MethodHandle bind(SymbolLookup lookup, String name, MemoryLayout... args) {
        return Linker.nativeLinker().downcallHandle(lookup.findOrThrow(name), FunctionDescriptor.ofVoid(args));
    }

    private static float[] data(long seed, int n) {
        return GpuTests.gaussian(seed, n, 1.5f);
    }

    /** Runs {@code op} on CPU backend matrices holding {@code inputs} ({@code cols} wide each); returns matrix 0's rows. */
    private static float[] onCpu(int cols, float[][] inputs, Consumer<FloatMatrix[]> op) {
        FloatMatrix[] m = new FloatMatrix[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            m[i] = GpuTests.matrix(cpu, inputs[i], inputs[i].length / cols, cols);
        }
        op.accept(m);
        return GpuTests.read(m[0], inputs[0].length / cols);
    }

    /** Bit for bit (a plain scan: containsExactly takes minutes over a million values). */
    private static void assertSameValues(float[] actual, float[] expected, String what) {
        int at = Arrays.mismatch(actual, expected);
        assertThat(at).as("%s: first difference at %d: %s against %s", what, at, at < 0 ? 0 : actual[at],
                at < 0 ? 0 : expected[at]).isEqualTo(-1);
    }

    private static MemorySegment floats(Arena a, float[] values) {
        return a.allocateFrom(FLOAT, values);
    }

    private static MemorySegment ints(Arena a, int[] values) {
        return a.allocateFrom(INT, values);
    }

    @Test
    void rmsNormIntoAnotherMatrixAndInPlace() throws Throwable {
        for (int cols : new int[] {COLS, 1000}) {
            float[] x = data(1, T * cols);
            float[] gamma = data(2, cols);
            float[] expected = onCpu(cols, new float[][] {new float[T * cols], x},
                    m -> cpu.rmsNorm(m[1], gamma, 1e-5f, m[0], T));
            try (Arena a = Arena.ofConfined()) {
                MemorySegment xd = floats(a, x);
                MemorySegment out = a.allocate(FLOAT, (long) T * cols);
                rmsNorm.invokeExact(xd, floats(a, gamma), 1e-5f, out, cols, T);
                GpuTests.assertClose(out.toArray(FLOAT), expected, 1e-6, "rmsNorm of " + cols);
                assertSameValues(xd.toArray(FLOAT), x, "rmsNorm's input, left as it was");
                rmsNorm.invokeExact(xd, floats(a, gamma), 1e-5f, xd, cols, T);
                GpuTests.assertClose(xd.toArray(FLOAT), expected, 1e-6, "rmsNorm of " + cols + " in place");
            }
        }
    }

    @Test
    void rmsNormHeadsNormalizesEachHeadOnItsOwn() throws Throwable {
        int heads = 6;
        for (int headDim : new int[] {64, 72}) {   // 72: lanes take two or three values
            int cols = heads * headDim;
            float[] x = data(3, T * cols);
            for (int h = 0; h < heads; h++) {
                x[h * headDim] *= 1 + 4 * h;       // heads of different scales
            }
            float[] gamma = data(4, headDim);
            float[] expected = onCpu(cols, new float[][] {x}, m -> cpu.rmsNormHeads(m[0], gamma, 1e-6f, headDim, T));
            try (Arena a = Arena.ofConfined()) {
                MemorySegment xd = floats(a, x);
                rmsNormHeads.invokeExact(xd, floats(a, gamma), 1e-6f, cols, headDim, 0, T);
                GpuTests.assertClose(xd.toArray(FLOAT), expected, 1e-6, "rmsNormHeads of " + heads + " x " + headDim);
            }
        }
    }

    @Test
    void rmsNormHeadsWithAGammaPerColumnWeighsEachGroupByItsOwn() throws Throwable {
        int groups = 4;
        int width = 96;
        int cols = groups * width;
        float[] x = data(13, T * cols);
        float[] gamma = data(14, cols);
        float[] expected = onCpu(cols, new float[][] {x}, m -> cpu.rmsNormHeads(m[0], gamma, 1e-5f, width, T));
        float[] shared = onCpu(cols, new float[][] {x}, m -> cpu.rmsNormHeads(m[0], Arrays.copyOf(gamma, width), 1e-5f,
                width, T));
        assertThat(expected).isNotEqualTo(shared);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment xd = floats(a, x);
            rmsNormHeads.invokeExact(xd, floats(a, gamma), 1e-5f, cols, width, width, T);
            GpuTests.assertClose(xd.toArray(FLOAT), expected, 1e-6, "rmsNormHeads per column");
        }
    }

    @Test
    void addBiasAddAndSiluMul() throws Throwable {
        float[] x = data(6, T * COLS);
        float[] y = data(7, T * COLS);
        float[] bias = data(5, COLS);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment biased = floats(a, x);
            addBias.invokeExact(biased, floats(a, bias), (long) (T - 1) * COLS, COLS);
            assertSameValues(biased.toArray(FLOAT), onCpu(COLS, new float[][] {x}, m -> cpu.addBias(m[0], bias, T - 1)),
                    "addBias over all rows but the last");
            MemorySegment sum = floats(a, x);
            add.invokeExact(sum, floats(a, y), (long) T * COLS);
            assertSameValues(sum.toArray(FLOAT), onCpu(COLS, new float[][] {x, y}, m -> cpu.add(m[0], m[1], T)), "add");
            MemorySegment gate = floats(a, x);
            siluMul.invokeExact(gate, floats(a, y), (long) T * COLS);
            float[] expected = onCpu(COLS, new float[][] {x, y}, m -> cpu.siluMul(m[0], m[1], T));
            GpuTests.assertClose(gate.toArray(FLOAT), expected, 1e-6, "siluMul");
            MemorySegment gated = floats(a, y);
            sigmoidMul.invokeExact(floats(a, x), gated, (long) T * COLS);
            // the gated values first, as onCpu reads back its first matrix
            float[] gatedOnCpu = onCpu(COLS, new float[][] {y, x}, m -> cpu.sigmoidMul(m[1], m[0], T));
            GpuTests.assertClose(gated.toArray(FLOAT), gatedOnCpu, 1e-6, "sigmoidMul");
            MemorySegment product = floats(a, x);
            mul.invokeExact(product, floats(a, y), (long) T * COLS);
            assertSameValues(product.toArray(FLOAT), onCpu(COLS, new float[][] {x, y}, m -> cpu.mul(m[0], m[1], T)), "mul");
            float[] wideX = times(x, 9f);
            float[] wideY = times(y, 9f);
            MemorySegment clamped = floats(a, wideX);
            swigluClamped.invokeExact(clamped, floats(a, wideY), 1.702f, 7f, (long) T * COLS);
            GpuTests.assertClose(clamped.toArray(FLOAT),
                    onCpu(COLS, new float[][] {wideX, wideY}, m -> cpu.swigluClamped(m[0], m[1], 1.702f, 7f, T)), 1e-6,
                    "swigluClamped");
        }
    }

    /**
     * Bit for bit: half the values negative, the edge values in the first row and in the last row
     * run (zeros of both signs, NaN, infinities, squares that overflow, fall subnormal or
     * underflow), over all rows but the last: 1200 values, no multiple of a block's 256 threads,
     * and the last row left as it was.
     */
    @Test
    void reluSquaredSquaresThePositivesAndZeroesTheRest() throws Throwable {
        float[] x = data(22, T * COLS);
        float[] edges = {-0f, 0f, Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 2e19f, 1e-20f,
            Float.MIN_VALUE, -1e-30f, -3f, 3f};
        System.arraycopy(edges, 0, x, 0, edges.length);
        System.arraycopy(edges, 0, x, (T - 1) * COLS - edges.length, edges.length);
        long n = (long) (T - 1) * COLS;
        assertThat(n % 256).isNotZero();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment xd = floats(a, x);
            reluSquared.invokeExact(xd, n);
            assertSameValues(xd.toArray(FLOAT), onCpu(COLS, new float[][] {x}, m -> cpu.reluSquared(m[0], T - 1)),
                    "reluSquared over all rows but the last");
        }
    }

    /** More values than 4096 blocks of 256 threads: each thread strides on by the whole grid, its bias column with it. */
    @Test
    void addBiasStridesPastTheLastBlockOfTheGrid() throws Throwable {
        int tokens = 3500;
        long n = (long) tokens * COLS;
        assertThat(n).isGreaterThan(4096L * 256);
        float[] x = data(8, tokens * COLS);
        float[] bias = data(9, COLS);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment xd = floats(a, x);
            addBias.invokeExact(xd, floats(a, bias), n, COLS);
            assertSameValues(xd.toArray(FLOAT), onCpu(COLS, new float[][] {x}, m -> cpu.addBias(m[0], bias, tokens)),
                    "addBias over " + n + " values");
        }
    }

    @Test
    void softmaxOfRowsNarrowerAndWiderThanABlock() throws Throwable {
        for (int cols : new int[] {60, COLS}) {
            float[] x = data(10, T * cols);
            x[cols + 3] = Float.NEGATIVE_INFINITY;   // a masked value
            float[] expected = onCpu(cols, new float[][] {x}, m -> cpu.softmax(m[0], T));
            try (Arena a = Arena.ofConfined()) {
                MemorySegment xd = floats(a, x);
                softmax.invokeExact(xd, cols, T);
                float[] actual = xd.toArray(FLOAT);
                GpuTests.assertClose(actual, expected, 1e-6, "softmax of " + cols);
                assertThat(actual[cols + 3]).isZero();
            }
        }
    }

    @Test
    void gatherAndWeightedScatterAddWithRepeatedRows() throws Throwable {
        int[] rows = {4, 0, 4, 2};
        int n = rows.length;
        float[] weights = {0.25f, -1.5f, 0.75f, 2f};
        float[] src = data(14, T * COLS);
        float[] dst = data(15, T * COLS);
        float[] contributions = data(16, n * COLS);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment gathered = a.allocate(FLOAT, (long) n * COLS);
            gatherRows.invokeExact(floats(a, src), ints(a, rows), gathered, COLS, n);
            float[] expected = onCpu(COLS, new float[][] {new float[n * COLS], src}, m -> cpu.gatherRows(m[1], rows, m[0], n));
            assertSameValues(gathered.toArray(FLOAT), expected, "gatherRows");
            MemorySegment scattered = floats(a, dst);
            scatterAddRows.invokeExact(floats(a, contributions), ints(a, rows), floats(a, weights), scattered, n, COLS);
            expected = onCpu(COLS, new float[][] {dst, contributions}, m -> cpu.scatterAddRows(m[1], rows, weights, m[0], n));
            assertSameValues(scattered.toArray(FLOAT), expected, "scatterAddRows");
            MemorySegment none = floats(a, dst);
            scatterAddRows.invokeExact(floats(a, contributions), ints(a, rows), floats(a, weights), none, 0, COLS);
            assertSameValues(none.toArray(FLOAT), dst, "a scatter of no rows");
        }
    }

    @Test
    void scaleRowsMultipliesEachRowByItsFactor() throws Throwable {
        int n = T - 1;                          // the last row stays as it is
        float[] factors = new float[n];
        for (int i = 0; i < n; i++) {
            factors[i] = (i % 4 - 1.5f) * 0.6f;
        }
        float[] x = data(20, T * COLS);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment scaled = floats(a, x);
            scaleRows.invokeExact(scaled, floats(a, factors), n, COLS);
            float[] expected = onCpu(COLS, new float[][] {x}, m -> cpu.scaleRows(m[0], factors, n));
            assertSameValues(scaled.toArray(FLOAT), expected, "scaleRows");
        }
    }

    @Test
    void sigmoidGatedAddWeighsEachTokenByItsGate() throws Throwable {
        int gateCols = 3;                      // (T, 3): column 0 is the gate
        float[] gate = data(17, T * gateCols);
        float[] dst = data(18, T * COLS);
        float[] src = data(19, T * COLS);
        float[] expected = onCpu(COLS, new float[][] {dst, src},
                m -> cpu.sigmoidGatedAdd(GpuTests.matrix(cpu, gate, T, gateCols), m[1], m[0], T));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment d = floats(a, dst);
            sigmoidGatedAdd.invokeExact(floats(a, gate), gateCols, floats(a, src), d, COLS, T);
            GpuTests.assertClose(d.toArray(FLOAT), expected, 1e-6, "sigmoidGatedAdd");
        }
    }

    /**
     * Column copies as latent attention slices its heads, and shapes off every boundary: one block
     * wider than the 256 threads, heads of 192 split into their first 128 and last 64 dims, a width
     * of 37 (no multiple of a warp) with strides past it, 77-wide blocks whose 385 values run over a
     * block of threads mid-block, one source block to five places; rows short of the matrices' T.
     */
    @Test
    void copyColumnsCopiesStridedBlocksAsTheCpuDoes() throws Throwable {
        int[][] copies = {
            // srcCols, srcCol, srcStride, dstCols, dstCol, dstStride, width, groups, rows
            {310, 7, 0, 300, 0, 0, 300, 1, T},
            {8 * 192, 0, 192, 8 * 128, 0, 128, 128, 8, T},
            {8 * 192, 128, 192, 8 * 64 + 5, 5, 64, 64, 8, T},
            {7 * 50 + 3, 11, 50, 7 * 41 + 9, 2, 41, 37, 7, T - 1},
            {90, 13, 0, 400, 1, 80, 77, 5, 2},
        };
        for (int[] c : copies) {
            int srcCols = c[0];
            int srcCol = c[1];
            int srcStride = c[2];
            int dstCols = c[3];
            int dstCol = c[4];
            int dstStride = c[5];
            int width = c[6];
            int groups = c[7];
            int rows = c[8];
            float[] src = data(20, T * srcCols);
            float[] dst = data(21, T * dstCols);   // what the copy leaves alone must stay
            FloatMatrix cpuSrc = GpuTests.matrix(cpu, src, T, srcCols);
            float[] expected = onCpu(dstCols, new float[][] {dst},
                    m -> cpu.copyColumns(cpuSrc, srcCol, srcStride, m[0], dstCol, dstStride, width, groups, rows));
            try (Arena a = Arena.ofConfined()) {
                MemorySegment d = floats(a, dst);
                copyColumns.invokeExact(floats(a, src), srcCols, srcCol, srcStride, d, dstCols, dstCol, dstStride, width,
                        groups, rows);
                assertSameValues(d.toArray(FLOAT), expected, "copyColumns " + Arrays.toString(c));
            }
        }
    }

    private static float[] times(float[] x, float by) {
        float[] out = x.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] *= by;
        }
        return out;
    }
}
