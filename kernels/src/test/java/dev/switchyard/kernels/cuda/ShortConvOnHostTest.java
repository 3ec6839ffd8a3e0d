package dev.switchyard.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.kernels.AttentionBatch;
import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.KvStorage;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code short_conv} (attention.cu: LFM2's convolution over cached rows) run on the host, its
 * threads as fibers ({@code kernels/src/test/cuda/short_conv_host.cpp}), launched as
 * {@link CudaKernels#shortConv} launches it, against the CPU backend's {@code shortConv} on the same
 * rows: bit for bit, since both add each tap's product with a fused multiply-add in tap order. Two
 * sequences with blocks out of order, tokens at their first positions and across block edges, rows
 * wider than a block of 256 threads. The device cache is slot-major ({@link CudaKvStorage}); the
 * CPU's, for one head without values, also keeps whole rows by slot, so both read the same array.
 * Skipped, with the reason, where no C++ compiler or no source tree is at hand.
 */
@SuppressWarnings("restricted")
class ShortConvOnHostTest {

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout ADDRESS = ValueLayout.ADDRESS;
    private static final int WIDTH = 300;
    private static final int BLOCK = 4;
    private static final int BLOCKS = 6;
    private static final int LENGTH = 3;

    @TempDir
    static Path dir;

    private static MethodHandle shortConv;
    private static CpuBackend cpu;

    @BeforeAll
    static void build() throws IOException, InterruptedException {
        SymbolLookup lookup = HostHarness.build("kernels/src/test/cuda/short_conv_host.cpp", dir, "-std=c++20", "-pthread");
        shortConv = Linker.nativeLinker().downcallHandle(lookup.findOrThrow("short_conv_host"), FunctionDescriptor.ofVoid(
                ADDRESS, INT, INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, INT, ADDRESS, INT, INT));
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void stop() {
        if (cpu != null) {
            cpu.close();
        }
    }

    @Test
    void convolvesEachTokensLastRowsExactlyAsTheCpuBackend() throws Throwable {
        int slots = BLOCKS * BLOCK;
        float[] rows = GpuTests.gaussian(51, slots * WIDTH, 1.5f);
        float[] taps = GpuTests.gaussian(52, LENGTH * WIDTH, 0.7f);
        int[][] tables = {{3, 0, 5}, {1, 4}};
        int[] seq = {0, 0, 0, 0, 1, 1, 1};
        int[] pos = {0, 1, 5, 11, 2, 4, 7};
        int tokens = seq.length;

        KvStorage kv = cpu.allocateKv(1, BLOCKS, BLOCK, 1, WIDTH, 0, KvCacheType.F32);
        int[] all = new int[slots];
        for (int s = 0; s < slots; s++) {
            all[s] = s;
        }
        cpu.storeKv(kv, 0, GpuTests.matrix(cpu, rows, slots, WIDTH), null, all, slots);
        FloatMatrix out = cpu.allocate(tokens, WIDTH);
        cpu.shortConv(kv, 0, new AttentionBatch(tokens, seq, pos, tables, 1, 1, WIDTH, WIDTH, 1f), taps, LENGTH, out);
        float[] expected = GpuTests.read(out, tokens);
        kv.close();

        try (Arena a = Arena.ofConfined()) {
            int[] flat = {3, 0, 5, 1, 4};
            int[] starts = new int[tokens];
            for (int t = 0; t < tokens; t++) {
                starts[t] = seq[t] == 0 ? 0 : 3;
            }
            MemorySegment result = a.allocate(FLOAT, (long) tokens * WIDTH);
            shortConv.invokeExact(a.allocateFrom(FLOAT, rows), WIDTH, BLOCK, a.allocateFrom(INT, pos),
                    a.allocateFrom(INT, starts), a.allocateFrom(INT, flat), a.allocateFrom(FLOAT, taps), LENGTH, result,
                    WIDTH, tokens);
            float[] actual = result.toArray(FLOAT);
            for (int i = 0; i < actual.length; i++) {
                if (Float.floatToRawIntBits(actual[i]) != Float.floatToRawIntBits(expected[i])) {
                    assertThat(actual[i]).as("value %d (token %d, channel %d)", i, i / WIDTH, i % WIDTH)
                            .isEqualTo(expected[i]);
                }
            }
            assertThat(expected).as("a convolution that computes something").contains(expected[WIDTH + 7]);
            assertThat(expected[WIDTH + 7]).isNotZero();
        }
    }
}
