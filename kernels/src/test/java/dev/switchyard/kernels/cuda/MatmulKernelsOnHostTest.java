package dev.switchyard.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The matmuls of {@code matmul.cu} run on the host, their threads as fibers
 * ({@code kernels/src/test/cuda/matmul_host.cpp}), launched as {@link CudaKernels#matmul} launches
 * them (grid, block, the wide or generic entry point by {@link CudaKernels#wide} on the real
 * addresses, the tile of one token for single-token steps), against the CPU backend on the same
 * weights: the generic kernel of every format, and the 16-byte-load kernels of {@code gemv.cuh}
 * (F32, F16, BF16, Q8_0, Q4_0) with both tiles. 9 rows leave the last block one warp of four; 1, 3,
 * 8 and 9 tokens are one token, part of a tile, a whole one and one past it. The wide columns give a
 * last step to part of the lanes (F32, F16 and BF16 also a step of four chunks in flight first;
 * Q8_0 and Q4_0 a last step of 8 blocks, or of 16), and weights at addresses off 16 bytes take the
 * generic kernel. The per-head matmul of every format ({@link CudaKernels#matmulHeads}) against
 * {@link CpuBackend#matmulHeads}: heads reading column blocks of x with gaps between them, or all the
 * same block, and writing blocks of out with gaps, which must stay untouched. Within 1e-5 of the
 * output's RMS, as {@code CudaMatmulTest} holds the GPU to; the embedding lookup of every format bit
 * for bit. Skipped, with the reason, where no C++ compiler or
 * no source tree is at hand.
 */
@SuppressWarnings("restricted")
class MatmulKernelsOnHostTest {

    private static final int ROWS = 9;
    private static final int[] TOKENS = {1, 3, 8, 9};

    @TempDir
    static Path dir;

    private static MethodHandle matmul;
    private static MethodHandle embed;
    private static MethodHandle matmulHeads;
    private static CpuBackend cpu;

    @BeforeAll
    static void build() throws IOException, InterruptedException {
        SymbolLookup lookup = HostHarness.build("kernels/src/test/cuda/matmul_host.cpp", dir, "-std=c++20", "-pthread");
        ValueLayout.OfInt i = ValueLayout.JAVA_INT;
        ValueLayout a = ValueLayout.ADDRESS;
        matmul = Linker.nativeLinker().downcallHandle(lookup.findOrThrow("matmul_host"), FunctionDescriptor.of(
                i, i, i, a, ValueLayout.JAVA_LONG, i, i, a, a, i));
        embed = Linker.nativeLinker().downcallHandle(lookup.findOrThrow("embed_host"), FunctionDescriptor.of(
                i, i, a, ValueLayout.JAVA_LONG, i, a, a, i));
        matmulHeads = Linker.nativeLinker().downcallHandle(lookup.findOrThrow("matmul_heads_host"), FunctionDescriptor.of(
                i, i, a, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, i, i, a, i, i, i, a, i, i, i, i, i));
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void stop() {
        if (cpu != null) {
            cpu.close();
        }
    }

    /** Columns only the generic kernel takes. */
    private static int genericCols(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16 -> 67;                                   // not a multiple of the 32 lanes
            case Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, MXFP4 -> 96;      // 3 blocks of 32
            default -> 512;                                              // 2 super-blocks of 256
        };
    }

    /** Columns that allow 16-byte loads, per format with a wide kernel (none for the others). */
    private static int[] wideCols(GgmlType type) {
        return switch (type) {
            case F32 -> new int[] {68, 644};                  // 17 chunks of 4; 161: a four-chunk step, then 33
            case F16, BF16 -> new int[] {72, 1288};           // 9 chunks of 8; 161
            case Q8_0, Q4_0 -> new int[] {256, 768, 1024};    // 8 blocks; 16 + 8; 16 + 16
            default -> new int[0];
        };
    }

    private static float[] onCpu(GgmlType type, MemorySegment data, int cols, float[] x, int tokens) {
        Weight w = cpu.weight(type, data, new long[] {cols, ROWS});
        FloatMatrix out = cpu.allocate(tokens, ROWS);
        cpu.matmul(w, 0, GpuTests.matrix(cpu, x, tokens, cols), out, tokens);
        return GpuTests.read(out, tokens);
    }

    /** The product on the host, the weight {@code offset} bytes past a 64-byte boundary. */
    private static float[] onHost(GgmlType type, MemorySegment data, long offset, int cols, float[] x, int tokens)
            throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment w = a.allocate(data.byteSize() + offset, 64).asSlice(offset);
            w.copyFrom(data);
            MemorySegment xd = a.allocate(4L * x.length, 64);
            MemorySegment.copy(x, 0, xd, ValueLayout.JAVA_FLOAT, 0, x.length);
            MemorySegment out = a.allocate(ValueLayout.JAVA_FLOAT, (long) tokens * ROWS);
            out.fill((byte) 0xFF); // NaN: every output must be written
            long rowBytes = type.byteSize(cols);
            boolean wide = CudaKernels.wide(type, rowBytes, w.address(), xd.address());
            int rc = (int) matmul.invokeExact(type.id(), wide ? 1 : 0, w, rowBytes, ROWS, cols, xd, out, tokens);
            assertThat(rc).as("%s has an entry point%s", type, wide ? " with 16-byte loads" : "").isZero();
            return out.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    private static void assertSameProduct(GgmlType type, int cols, long offset, int tokens) throws Throwable {
        MemorySegment data = GpuTests.weights(type, cols + tokens, ROWS, cols, 1);
        float[] x = GpuTests.gaussian(tokens * 7L + cols, tokens * cols, 1f);
        GpuTests.assertClose(onHost(type, data, offset, cols, x, tokens), onCpu(type, data, cols, x, tokens), 1e-5,
                type + " x " + cols + " columns at +" + offset + ", " + tokens + " tokens");
    }

    /** Every token count of {@link #TOKENS}, at {@code cols} columns that take the wide kernel or not. */
    private static void assertSameProducts(GgmlType type, int cols, boolean wide) throws Throwable {
        assertThat(CudaKernels.wide(type, type.byteSize(cols), 0, 0)).as("%s x %d takes the %s kernel", type, cols,
                wide ? "wide" : "generic").isEqualTo(wide);
        for (int tokens : TOKENS) {
            assertSameProduct(type, cols, 0, tokens);
        }
    }

    @Test
    void genericKernelsOfEveryFormatMatchTheCpuBackend() throws Throwable {
        for (GgmlType type : GpuTests.TYPES) {
            assertSameProducts(type, genericCols(type), false);
        }
    }

    @Test
    void wideKernelsWithTilesOfOneAndEightTokensMatchTheCpuBackend() throws Throwable {
        for (GgmlType type : GpuTests.TYPES) {
            for (int cols : wideCols(type)) {
                assertSameProducts(type, cols, true);
            }
        }
    }

    /** A weight off 16 bytes (an expert slot may put one anywhere) takes the generic kernel, at its own alignment. */
    @Test
    void weightsOffSixteenBytesTakeTheGenericKernel() throws Throwable {
        for (GgmlType type : GpuTests.TYPES) {
            int[] wide = wideCols(type);
            if (wide.length == 0) {
                continue;
            }
            int cols = wide[wide.length - 1];
            long offset = type == GgmlType.F32 ? 4 : 2;
            assertThat(CudaKernels.wide(type, type.byteSize(cols), offset, 0)).isFalse();
            for (int tokens : new int[] {1, 9}) {
                assertSameProduct(type, cols, offset, tokens);
            }
        }
    }

    /** Heads of the per-head test, and its tokens: one, and a tile and a part of one. */
    private static final int HEADS = 3;
    private static final int[] HEAD_TOKENS = {1, 11};

    /**
     * matmulHeads of every format: {@link #ROWS} rows per head leave each head's last block one warp
     * of four; the heads' x blocks {@code cols + 5} apart from column 3 (gaps between them), or all
     * one block from column 1; their out blocks {@code ROWS + 4} apart from column 2, or adjacent.
     */
    @Test
    void perHeadMatmulOfEveryFormatMatchesTheCpuBackend() throws Throwable {
        for (GgmlType type : GpuTests.TYPES) {
            int cols = genericCols(type);
            MemorySegment data = GpuTests.weights(type, 17, ROWS, cols, HEADS);
            // {xCol, xStride, outCol, outStride}
            int[][] layouts = {{3, cols + 5, 2, ROWS + 4}, {1, 0, 0, ROWS}};
            for (int[] l : layouts) {
                for (int tokens : HEAD_TOKENS) {
                    assertSameHeads(type, data, cols, l[0], l[1], l[2], l[3], tokens);
                }
            }
        }
    }

    private static void assertSameHeads(GgmlType type, MemorySegment data, int cols, int xCol, int xStride, int outCol,
                                        int outStride, int tokens) throws Throwable {
        String what = type + " x " + cols + " columns, " + HEADS + " heads, x from " + xCol + " every " + xStride
                + ", out from " + outCol + " every " + outStride + ", " + tokens + " tokens";
        int xCols = xCol + (HEADS - 1) * xStride + cols + 2;          // a column past the last block
        int outCols = outCol + (HEADS - 1) * outStride + ROWS + 1;
        float[] x = GpuTests.gaussian(tokens * 13L + xStride, tokens * xCols, 1f);

        Weight w = cpu.weight(type, data, new long[] {cols, ROWS, HEADS});
        FloatMatrix expectedOut = cpu.allocate(tokens, outCols);
        cpu.matmulHeads(w, GpuTests.matrix(cpu, x, tokens, xCols), xCol, xStride, expectedOut, outCol, outStride,
                HEADS, tokens);
        float[] expected = GpuTests.read(expectedOut, tokens);

        float[] actual;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment wd = a.allocate(data.byteSize(), 64).copyFrom(data);
            MemorySegment xd = a.allocate(4L * x.length, 64);
            MemorySegment.copy(x, 0, xd, ValueLayout.JAVA_FLOAT, 0, x.length);
            MemorySegment out = a.allocate(ValueLayout.JAVA_FLOAT, (long) tokens * outCols);
            out.fill((byte) 0xFF); // NaN: every block cell must be written, every gap left so
            int rc = (int) matmulHeads.invokeExact(type.id(), wd, type.byteSize((long) ROWS * cols), type.byteSize(cols),
                    ROWS, cols, xd, xCols, xCol, xStride, out, outCols, outCol, outStride, HEADS, tokens);
            assertThat(rc).as("%s has a per-head entry point", type).isZero();
            actual = out.toArray(ValueLayout.JAVA_FLOAT);
        }

        // the heads' blocks, compared as the generic matmul is; everything else must be untouched
        float[] inBlocks = new float[tokens * HEADS * ROWS];
        float[] expectedInBlocks = new float[inBlocks.length];
        boolean[] block = new boolean[outCols];
        for (int h = 0; h < HEADS; h++) {
            for (int r = 0; r < ROWS; r++) {
                block[outCol + h * outStride + r] = true;
            }
        }
        int n = 0;
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < HEADS; h++) {
                for (int r = 0; r < ROWS; r++) {
                    int at = t * outCols + outCol + h * outStride + r;
                    inBlocks[n] = actual[at];
                    expectedInBlocks[n++] = expected[at];
                }
            }
            for (int c = 0; c < outCols; c++) {
                if (!block[c]) {
                    assertThat(Float.floatToRawIntBits(actual[t * outCols + c])).as("%s: token %d, column %d outside "
                            + "the heads' blocks", what, t, c).isEqualTo(-1);
                }
            }
        }
        GpuTests.assertClose(inBlocks, expectedInBlocks, 1e-5, what);
    }

    @Test
    void embeddingRowsOfEveryFormatDecodeBitForBit() throws Throwable {
        int[] ids = {0, 8, 3, 3, 5};
        for (GgmlType type : GpuTests.TYPES) {
            int cols = genericCols(type);
            MemorySegment data = GpuTests.weights(type, 5, ROWS, cols, 1);
            FloatMatrix expected = cpu.allocate(ids.length, cols);
            cpu.embed(cpu.weight(type, data, new long[] {cols, ROWS}), ids, expected, ids.length);
            float[] actual;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment table = a.allocate(data.byteSize(), 64).copyFrom(data);
                MemorySegment out = a.allocate(ValueLayout.JAVA_FLOAT, (long) ids.length * cols);
                out.fill((byte) 0xFF);
                int rc = (int) embed.invokeExact(type.id(), table, type.byteSize(cols), cols,
                        a.allocateFrom(ValueLayout.JAVA_INT, ids), out, ids.length);
                assertThat(rc).as("%s has an embedding entry point", type).isZero();
                actual = out.toArray(ValueLayout.JAVA_FLOAT);
            }
            assertThat(actual).as("%s embedding rows", type).containsExactly(GpuTests.read(expected, ids.length));
        }
    }
}
