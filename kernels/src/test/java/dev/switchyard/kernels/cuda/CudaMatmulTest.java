package dev.switchyard.kernels.cuda;

import static dev.switchyard.kernels.cuda.GpuTests.TYPES;
import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Matmul and embedding lookup of every weight format against the CPU backend. Both decode the
 * same bytes to the same floats (embeddings must match bit for bit); matmul sums in another order,
 * so its tolerance is 1e-5 of the output's RMS, far below the formats' own quantization error.
 */
class CudaMatmulTest extends AgainstCpuTest {

    private static final int ROWS = 70;   // not a multiple of the 4 rows a block computes

    static GgmlType[] types() {
        return TYPES;
    }

    private static int cols(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16 -> 67;   // not a multiple of the 32 lanes of a warp
            case Q8_0, Q4_0 -> 96;
            default -> 512;
        };
    }

    @ParameterizedTest
    @MethodSource("types")
    void matmulMatchesTheCpuBackendForEveryTokenCount(GgmlType type) {
        int cols = cols(type);
        MemorySegment data = GpuTests.weights(type, 3, ROWS, cols, 2);
        long[] dims = {cols, ROWS, 2};
        Weight wc = cpu.weight(type, data, dims);
        Weight wg = cuda.weight(type, data, dims);
        for (int tokens : new int[] {1, 3, 8, 9, 33}) {
            float[] x = GpuTests.gaussian(tokens, tokens * cols, 1f);
            FloatMatrix xc = GpuTests.matrix(cpu, x, tokens, cols);
            FloatMatrix xg = GpuTests.matrix(cuda, x, tokens, cols);
            FloatMatrix oc = cpu.allocate(tokens, ROWS);
            FloatMatrix og = cuda.allocate(tokens, ROWS);
            cpu.matmul(wc, 1, xc, oc, tokens);
            cuda.matmul(wg, 1, xg, og, tokens);
            GpuTests.assertClose(GpuTests.read(og, tokens), GpuTests.read(oc, tokens), 1e-5, type + " x " + tokens + " tokens");
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
