package dev.switchyard.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device's greedy pick ({@code greedy_rows} of {@code sampling.cu}) run on the host, its 256
 * threads as threads, against the CPU backend's: the same token on every row (ties to the lowest
 * id, -1 for rows the sampler must see) and the log-probability within 1e-12, whatever order the
 * block's reduction adds in. Skipped, with the reason, where no C++ compiler is at hand.
 */
@SuppressWarnings("restricted")
class GreedyRowsOnHostTest {

    @TempDir
    static Path dir;

    private static MethodHandle greedy;

    @BeforeAll
    static void build() throws IOException, InterruptedException {
        SymbolLookup lookup = HostHarness.build("kernels/src/test/cuda/greedy_host.cpp", dir, "-std=c++20", "-pthread");
        greedy = Linker.nativeLinker().downcallHandle(lookup.findOrThrow("greedy_host"), FunctionDescriptor.ofVoid(
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    }

    @Test
    void everyRowPicksTheCpusTokenAndLogprob() throws Throwable {
        int cols = 5000;
        int rows = 7;
        float[] logits = GpuTests.gaussian(61, rows * cols, 3f);
        logits[cols + 4000] = logits[cols + 300] = 50f;                 // row 1: a tie, the lower id
        logits[2 * cols + 10] = Float.NaN;                              // row 2: for the sampler
        logits[3 * cols + cols - 1] = Float.POSITIVE_INFINITY;          // row 3: likewise
        Arrays.fill(logits, 4 * cols, 5 * cols, Float.NEGATIVE_INFINITY); // row 4: all masked
        Arrays.fill(logits, 5 * cols, 6 * cols, -1f);                   // row 5: -0 and +0 tie
        logits[5 * cols + 9] = -0.0f;
        logits[5 * cols + 7] = 0.0f;
        int[] tokens = new int[rows];
        double[] logprobs = new double[rows];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment t = a.allocate(ValueLayout.JAVA_INT, rows);
            MemorySegment l = a.allocate(ValueLayout.JAVA_DOUBLE, rows);
            greedy.invokeExact(a.allocateFrom(ValueLayout.JAVA_FLOAT, logits), rows, cols, t, l);
            MemorySegment.copy(t, ValueLayout.JAVA_INT, 0, tokens, 0, rows);
            MemorySegment.copy(l, ValueLayout.JAVA_DOUBLE, 0, logprobs, 0, rows);
        }
        int[] expectedTokens = new int[rows];
        double[] expectedLogprobs = new double[rows];
        try (CpuBackend cpu = new CpuBackend(1)) {
            cpu.greedyRows(GpuTests.matrix(cpu, logits, rows, cols), rows, expectedTokens, expectedLogprobs);
        }
        assertThat(tokens).containsExactly(expectedTokens);
        assertThat(tokens[1]).isEqualTo(300);
        assertThat(tokens[5]).isEqualTo(7);
        for (int r = 0; r < rows; r++) {
            if (expectedTokens[r] < 0) {
                assertThat(logprobs[r]).as("row %d", r).isNaN();
            } else {
                assertThat(logprobs[r]).as("row %d", r).isCloseTo(expectedLogprobs[r], within(1e-12));
            }
        }
    }
}
