package dev.switchyard.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.cpu.CpuBackend;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device's sampling helpers ({@code greedy_rows} for one token, {@code top_rows}'s radix select
 * for more, of {@code sampling.cu}) run on the host, their 256 threads as fibers, against the CPU
 * backend's {@code topRows}: the same ids in the same order on every row (ties at the cut to the
 * lowest ids, -1 for rows the sampler must see), the same logits bit for bit, and the log-sum within
 * 1e-12, whatever order the block's reduction adds in. Skipped, with the reason, where no C++
 * compiler is at hand.
 */
@SuppressWarnings("restricted")
class TopRowsOnHostTest {

    @TempDir
    static Path dir;

    private static MethodHandle top;
    private static CpuBackend cpu;

    @BeforeAll
    static void build() throws IOException, InterruptedException {
        SymbolLookup lookup = HostHarness.build("kernels/src/test/cuda/sampling_host.cpp", dir, "-std=c++20", "-pthread");
        ValueLayout.OfInt i = ValueLayout.JAVA_INT;
        ValueLayout a = ValueLayout.ADDRESS;
        top = Linker.nativeLinker().downcallHandle(lookup.findOrThrow("top_rows_host"),
                FunctionDescriptor.ofVoid(a, i, i, i, a, a, a));
        cpu = new CpuBackend(1);
    }

    @AfterAll
    static void stop() {
        if (cpu != null) {
            cpu.close();
        }
    }

    /** Rows of every kind the sampler meets, {@code cols} wide. */
    private static float[] awkwardRows(int cols) {
        int rows = 9;
        float[] logits = GpuTests.gaussian(61, rows * cols, 3f);
        logits[cols + cols - 7] = logits[cols + 300] = 50f;              // row 1: a tie at the top
        logits[2 * cols + 10] = Float.NaN;                              // row 2: for the sampler
        logits[3 * cols + cols - 1] = Float.POSITIVE_INFINITY;          // row 3: likewise
        Arrays.fill(logits, 4 * cols, 5 * cols, Float.NEGATIVE_INFINITY); // row 4: all masked
        Arrays.fill(logits, 5 * cols, 6 * cols, -1f);                   // row 5: -0 and +0 tie, then a crowd
        logits[5 * cols + 9] = -0.0f;
        logits[5 * cols + 7] = 0.0f;
        Arrays.fill(logits, 6 * cols, 7 * cols, Float.NEGATIVE_INFINITY); // row 6: two left, the rest masked
        logits[6 * cols + cols / 2] = -4f;
        logits[6 * cols + 3] = 2f;
        for (int i = 0; i < cols; i += 3) {                             // row 7: a third of the row tied
            logits[7 * cols + i] = 1.5f;
        }
        for (int i = 0; i < cols; i++) {                                // row 8: few distinct values
            logits[8 * cols + i] = (i * 7919 % 13) * 0.25f - 1f;
        }
        return logits;
    }

    private static void compare(float[] logits, int rows, int cols, int count) throws Throwable {
        int picks = rows * count;
        int[] ids = new int[picks];
        float[] values = new float[picks];
        double[] logZ = new double[rows];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment di = a.allocate(ValueLayout.JAVA_INT, picks);
            MemorySegment dv = a.allocate(ValueLayout.JAVA_FLOAT, picks);
            MemorySegment dz = a.allocate(ValueLayout.JAVA_DOUBLE, rows);
            top.invokeExact(a.allocateFrom(ValueLayout.JAVA_FLOAT, logits), rows, cols, count, di, dv, dz);
            MemorySegment.copy(di, ValueLayout.JAVA_INT, 0, ids, 0, picks);
            MemorySegment.copy(dv, ValueLayout.JAVA_FLOAT, 0, values, 0, picks);
            MemorySegment.copy(dz, ValueLayout.JAVA_DOUBLE, 0, logZ, 0, rows);
        }
        int[] expectedIds = new int[picks];
        float[] expectedValues = new float[picks];
        double[] expectedLogZ = new double[rows];
        cpu.topRows(GpuTests.matrix(cpu, logits, rows, cols), rows, count, expectedIds, expectedValues, expectedLogZ);
        for (int r = 0; r < rows; r++) {
            int first = r * count;
            if (expectedIds[first] < 0) {
                assertThat(ids[first]).as("row %d of %d best", r, count).isEqualTo(-1);
                assertThat(logZ[r]).as("row %d", r).isNaN();
                continue;
            }
            assertThat(Arrays.copyOfRange(ids, first, first + count)).as("row %d of %d best", r, count)
                    .containsExactly(Arrays.copyOfRange(expectedIds, first, first + count));
            for (int j = first; j < first + count; j++) {
                assertThat(Float.floatToRawIntBits(values[j])).as("row %d, pick %d", r, j - first)
                        .isEqualTo(Float.floatToRawIntBits(expectedValues[j]));
            }
            assertThat(logZ[r]).as("row %d", r).isCloseTo(expectedLogZ[r], within(1e-12));
        }
    }

    @Test
    void everyRowPicksTheCpusTokensInItsOrder() throws Throwable {
        int cols = 5000;
        float[] logits = awkwardRows(cols);
        for (int count : new int[] {1, 2, 7, 40, Backend.MAX_TOP_ROWS}) {
            compare(logits, 9, cols, count);
        }
    }

    @Test
    void narrowRowsAndEveryColumnAsked() throws Throwable {
        int cols = 100; // fewer columns than the block has threads
        float[] logits = awkwardRows(cols);
        for (int count : new int[] {1, 3, cols}) {
            compare(logits, 9, cols, count);
        }
    }
}
