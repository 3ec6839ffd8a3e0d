package dev.switchyard.kernels.cuda;

import static dev.switchyard.kernels.cuda.GpuTests.TYPES;
import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Matmul and embedding lookup of every weight format against the CPU backend. Both decode the
 * same bytes to the same floats (embeddings must match bit for bit); matmul sums in another order,
 * so its tolerance is 1e-5 of the output's RMS, far below the formats' own quantization error.
 *
 * <p>Each format runs with columns that the generic kernel takes and, for the formats with a wide
 * kernel, with columns that allow 16-byte loads: fewer chunks than lanes, a last step with only part
 * of the lanes, and for Q8_0 and Q4_0 a last step of 8 blocks and none ({@link WideKernelChoiceTest}
 * proves which kernel each shape gets). Every token count of one tile and past it (one token takes
 * the wide kernels' single-token variant), a weight of several matrices read at matrix 1 and 2, and
 * 70 rows (not a multiple of the 4 rows of a block). The per-head matmul (matmulHeads) of every
 * format, its heads' blocks of x and out with gaps between them, to the same tolerance.
 */
class CudaMatmulTest extends AgainstCpuTest {

    private static final int ROWS = 70;

    /** Columns only the generic kernel takes. */
    static int cols(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16 -> 67;   // not a multiple of the 32 lanes of a warp
            case Q8_0, Q4_0 -> 96;
            default -> 512;
        };
    }

    /** Columns that allow 16-byte loads, per format with a wide kernel (none for the others). */
    static int[] wideCols(GgmlType type) {
        return switch (type) {
            case F32 -> new int[] {68, 260};          // 17 chunks of 4; 65 chunks: lane 0 takes a third
            case F16, BF16 -> new int[] {72, 264};    // 9 chunks of 8; 33 chunks
            case Q8_0 -> new int[] {256, 768, 1024};  // 8 blocks; 16 + 8; 16 + 16
            case Q4_0 -> new int[] {256, 768};
            default -> new int[0];
        };
    }

    static List<Arguments> shapes() {
        List<Arguments> shapes = new ArrayList<>();
        for (GgmlType type : TYPES) {
            shapes.add(Arguments.of(type, cols(type)));
            for (int cols : wideCols(type)) {
                shapes.add(Arguments.of(type, cols));
            }
        }
        return shapes;
    }

    static GgmlType[] types() {
        return TYPES;
    }

    @ParameterizedTest(name = "{0} x {1} columns")
    @MethodSource("shapes")
    void matmulMatchesTheCpuBackendForEveryTokenCount(GgmlType type, int cols) {
        MemorySegment data = GpuTests.weights(type, 3, ROWS, cols, 3);
        long[] dims = {cols, ROWS, 3};
        Weight wc = cpu.weight(type, data, dims);
        Weight wg = cuda.weight(type, data, dims);
        for (int tokens : new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 31, 33}) {
            for (int matrix = 1; matrix <= (tokens == 1 || tokens == 8 ? 2 : 1); matrix++) {
                assertSameProduct(wc, wg, matrix, cols, tokens, type + " x " + cols + " columns, matrix " + matrix
                        + ", " + tokens + " tokens");
            }
        }
    }

    /** A weight at an address that is not 16-byte aligned (an expert slot may put one anywhere) takes the generic kernel. */
    @ParameterizedTest
    @MethodSource("types")
    void weightsAtUnalignedAddressesFallBackToTheGenericKernel(GgmlType type) {
        int[] wide = wideCols(type);
        if (wide.length == 0) {
            return;
        }
        int cols = wide[wide.length - 1];
        long offset = type == GgmlType.F32 ? 4 : 2;   // the generic kernel reads a value at its own alignment
        MemorySegment data = GpuTests.weights(type, 4, ROWS, cols, 2);
        long[] dims = {cols, ROWS, 2};
        CudaContext ctx = cuda.context();
        ctx.makeCurrent();
        long base = ctx.allocate(data.byteSize() + 16);
        try {
            ctx.upload(data, base + offset, data.byteSize());
            CudaWeight wg = CudaWeight.at(base + offset, data.byteSize(), type, dims);
            assertThat(CudaKernels.wide(type, wg.rowBytes(), wg.matrix(1), 0)).isFalse();
            Weight wc = cpu.weight(type, data, dims);
            for (int tokens : new int[] {1, 8, 9}) {
                assertSameProduct(wc, wg, 1, cols, tokens, type + " at +" + offset + ", " + tokens + " tokens");
            }
        } finally {
            ctx.free(base);
        }
    }

    /** Columns and token counts of the tensor-core test: whole K-quant super-blocks; one tile, part of one, and three. */
    static final int TENSOR_CORE_COLS = 512;
    static final int[] TENSOR_CORE_TOKENS = {CudaKernels.TC_MIN_TOKENS, 64, 100, 130};

    /**
     * Steps of many tokens take the tensor-core matmul (3xTF32: each product to about float
     * precision); its sums round differently again, so the tolerance is 5e-5 of the RMS. 70 rows
     * leave the second tile of rows mostly empty, and the token counts the last tile of tokens.
     */
    @ParameterizedTest
    @MethodSource("types")
    void tensorCoreMatmulMatchesTheCpuBackend(GgmlType type) {
        int cols = TENSOR_CORE_COLS;
        MemorySegment data = GpuTests.weights(type, 5, ROWS, cols, 2);
        long[] dims = {cols, ROWS, 2};
        Weight wc = cpu.weight(type, data, dims);
        Weight wg = cuda.weight(type, data, dims);
        for (int tokens : TENSOR_CORE_TOKENS) {
            assertSameProduct(wc, wg, 1, cols, tokens, type + " on tensor cores, " + tokens + " tokens", 5e-5);
        }
    }

    private static void assertSameProduct(Weight wc, Weight wg, int matrix, int cols, int tokens, String what) {
        assertSameProduct(wc, wg, matrix, cols, tokens, what,
                CudaKernels.tensorCores(true, cols, tokens, 0) ? 5e-5 : 1e-5);
    }

    private static void assertSameProduct(Weight wc, Weight wg, int matrix, int cols, int tokens, String what,
                                          double tolerance) {
        float[] x = GpuTests.gaussian(tokens * 7L + matrix, tokens * cols, 1f);
        FloatMatrix xc = GpuTests.matrix(cpu, x, tokens, cols);
        FloatMatrix xg = GpuTests.matrix(cuda, x, tokens, cols);
        FloatMatrix oc = cpu.allocate(tokens, ROWS);
        FloatMatrix og = cuda.allocate(tokens, ROWS);
        cpu.matmul(wc, matrix, xc, oc, tokens);
        cuda.matmul(wg, matrix, xg, og, tokens);
        GpuTests.assertClose(GpuTests.read(og, tokens), GpuTests.read(oc, tokens), tolerance, what);
    }

    /**
     * matmulHeads of every format (4 heads of 70 rows each) against the CPU backend: x blocks with
     * gaps between them from column 3, or every head reading one block; out blocks with gaps from
     * column 2, or adjacent. out starts with other values, which its gaps must keep.
     */
    @ParameterizedTest
    @MethodSource("types")
    void perHeadMatmulMatchesTheCpuBackend(GgmlType type) {
        int cols = cols(type);
        int heads = 4;
        MemorySegment data = GpuTests.weights(type, 6, ROWS, cols, heads);
        long[] dims = {cols, ROWS, heads};
        Weight wc = cpu.weight(type, data, dims);
        Weight wg = cuda.weight(type, data, dims);
        // {xCol, xStride, outCol, outStride}
        int[][] layouts = {{3, cols + 5, 2, ROWS + 4}, {1, 0, 0, ROWS}};
        for (int[] l : layouts) {
            int xCols = l[0] + (heads - 1) * l[1] + cols + 2;
            int outCols = l[2] + (heads - 1) * l[3] + ROWS + 1;
            for (int tokens : new int[] {1, 8, 11, 33}) {
                String what = type + " x " + cols + " columns, " + heads + " heads, layout " + Arrays.toString(l)
                        + ", " + tokens + " tokens";
                float[] x = GpuTests.gaussian(tokens * 5L + l[1], tokens * xCols, 1f);
                float[] before = GpuTests.gaussian(tokens * 3L + l[3], tokens * outCols, 1f);
                FloatMatrix oc = GpuTests.matrix(cpu, before, tokens, outCols);
                FloatMatrix og = GpuTests.matrix(cuda, before, tokens, outCols);
                cpu.matmulHeads(wc, GpuTests.matrix(cpu, x, tokens, xCols), l[0], l[1], oc, l[2], l[3], heads, tokens);
                cuda.matmulHeads(wg, GpuTests.matrix(cuda, x, tokens, xCols), l[0], l[1], og, l[2], l[3], heads, tokens);
                float[] got = GpuTests.read(og, tokens);
                float[] want = GpuTests.read(oc, tokens);
                GpuTests.assertClose(got, want, 1e-5, what);
                for (int i = 0; i < got.length; i++) {
                    int c = i % outCols - l[2];
                    boolean inBlock = c >= 0 && c < (heads - 1) * l[3] + ROWS && c % l[3] < ROWS;
                    if (!inBlock) {
                        assertThat(got[i]).as("%s: out[%d] outside the heads' blocks", what, i).isEqualTo(before[i]);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("types")
    void embeddingRowsDecodeBitForBit(GgmlType type) {
        int cols = cols(type);
        MemorySegment data = GpuTests.weights(type, 5, ROWS, cols, 1);
        long[] dims = {cols, ROWS};
        Weight tc = cpu.weight(type, data, dims);
        Weight tg = cuda.weight(type, data, dims);
        int[] ids = {0, 69, 7, 7, 33};
        FloatMatrix oc = cpu.allocate(ids.length, cols);
        FloatMatrix og = cuda.allocate(ids.length, cols);
        cpu.embed(tc, ids, oc, ids.length);
        cuda.embed(tg, ids, og, ids.length);
        assertThat(GpuTests.read(og, ids.length)).containsExactly(GpuTests.read(oc, ids.length));
    }

    @Test
    void weightsOnTheJavaHeapAreCopiedToo() {
        int cols = cols(GgmlType.Q8_0);
        MemorySegment heap = MemorySegment.ofArray(GpuTests.weights(GgmlType.Q8_0, 9, ROWS, cols, 1).toArray(ValueLayout.JAVA_BYTE));
        long[] dims = {cols, ROWS};
        Weight wc = cpu.weight(GgmlType.Q8_0, heap, dims);
        Weight wg = cuda.weight(GgmlType.Q8_0, heap, dims);
        float[] x = GpuTests.gaussian(1, 2 * cols, 1f);
        FloatMatrix oc = cpu.allocate(2, ROWS);
        FloatMatrix og = cuda.allocate(2, ROWS);
        cpu.matmul(wc, 0, GpuTests.matrix(cpu, x, 2, cols), oc, 2);
        cuda.matmul(wg, 0, GpuTests.matrix(cuda, x, 2, cols), og, 2);
        GpuTests.assertClose(GpuTests.read(og, 2), GpuTests.read(oc, 2), 1e-5, "heap weight");
    }
}
