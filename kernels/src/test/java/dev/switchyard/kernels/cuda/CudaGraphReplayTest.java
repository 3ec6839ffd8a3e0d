package dev.switchyard.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.RopeSpec;
import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.format.GgmlType;
import org.junit.jupiter.api.Test;

/**
 * Kernel chunks replayed as CUDA graphs give bitwise the results of the same kernels launched one by
 * one, while what changes between steps (positions, row lists, weights) travels in the staging ring;
 * and the ring wraps and grows under long runs of ops without a wait, the results still the CPU's.
 */
class CudaGraphReplayTest extends AgainstCpuTest {

    private static final int T = 3;
    private static final int COLS = 256;

    /** Steps of one shape, then another shape, then the first again; returns x after each step. */
    private static float[][] run(Backend b, Weight w) {
        FloatMatrix x = GpuTests.matrix(b, GpuTests.gaussian(1, T * COLS, 1f), T, COLS);
        FloatMatrix h = b.allocate(T, COLS);
        FloatMatrix y = b.allocate(T, COLS);
        FloatMatrix g = b.allocate(T, COLS);
        float[] gamma = GpuTests.gaussian(2, COLS, 1f);
        RopeSpec rope = new RopeSpec(false, 64, 10000.0, 1.0);
        float[][] after = new float[9][];
        for (int step = 0; step < after.length; step++) {
            int tokens = step == 4 ? 2 : T;
            int[] positions = {step, step + 7, 3 * step};
            int[] rows = {step % tokens, (step + 1) % tokens, 0};
            float[] weights = {0.5f, -0.25f * step, 1f};
            b.rmsNorm(x, gamma, 1e-5f, h, tokens);
            b.matmul(w, 0, h, y, tokens);
            b.rope(y, positions, 4, 64, rope, tokens);
            b.gatherRows(y, rows, g, tokens);
            b.scatterAddRows(g, rows, weights, x, tokens);
            b.add(x, y, tokens);
            after[step] = GpuTests.read(x, T);
        }
        return after;
    }

    @Test
    void graphReplayGivesTheSameBitsAsLaunchingOneByOne() {
        CudaBackend plain;
        System.setProperty("switchyard.cuda.graphs", "off");
        try {
            plain = CudaBackend.open(0);
        } finally {
            System.clearProperty("switchyard.cuda.graphs");
        }
        try (plain) {
            assertThat(plain.context().queue().graphsOn()).isFalse();
            assertThat(cuda.context().queue().graphsOn()).isTrue();
            Weight wPlain = plain.weight(GgmlType.BF16, GpuTests.weights(GgmlType.BF16, 3, COLS, COLS, 1), new long[] {COLS, COLS});
            Weight wGraph = cuda.weight(GgmlType.BF16, GpuTests.weights(GgmlType.BF16, 3, COLS, COLS, 1), new long[] {COLS, COLS});
            long replaysBefore = cuda.context().queue().replays();
            long capturesBefore = cuda.context().queue().captures();
            float[][] expected = run(plain, wPlain);
            float[][] actual = run(cuda, wGraph);
            for (int step = 0; step < expected.length; step++) {
                assertThat(actual[step]).as("step %d", step).containsExactly(expected[step]);
            }
            assertThat(cuda.context().queue().captures() - capturesBefore).isGreaterThanOrEqualTo(1);
            assertThat(cuda.context().queue().replays() - replaysBefore).isGreaterThanOrEqualTo(4);
            assertThat(plain.context().queue().replays()).isZero();
        }
    }

    @Test
    void stagingRingWrapsAndGrowsWithoutAWait() {
        int rows = 40;
        int cols = 8;
        int ops = 4000;       // about 1.3 MB of row lists and weights between two waits
        int big = 300_000;    // one region larger than the ring's first size
        float[][] result = new float[2][];
        Backend[] backends = {cuda, cpu};
        for (int b = 0; b < 2; b++) {
            Backend be = backends[b];
            FloatMatrix dst = GpuTests.matrix(be, new float[rows * cols], rows, cols);
            FloatMatrix src = GpuTests.matrix(be, GpuTests.gaussian(5, rows * cols, 1f), rows, cols);
            int[] list = new int[rows];
            float[] weights = new float[rows];
            for (int op = 0; op < ops; op++) {
                for (int i = 0; i < rows; i++) {
                    list[i] = (i * 7 + op) % rows;
                    weights[i] = ((op + i) % 5 - 2) * 0.125f;
                }
                be.scatterAddRows(src, list, weights, dst, rows);
            }
            FloatMatrix wide = be.allocate(big, 1);
            FloatMatrix column = GpuTests.matrix(be, GpuTests.gaussian(6, rows, 1f), rows, 1);
            int[] many = new int[big];
            for (int i = 0; i < big; i++) {
                many[i] = (i * 13) % rows;
            }
            be.gatherRows(column, many, wide, big);
            float[] d = GpuTests.read(dst, rows);
            result[b] = new float[d.length + 3];
            System.arraycopy(d, 0, result[b], 0, d.length);
            float[] one = new float[1];
            int[] probes = {0, big / 2 + 1, big - 1};
            for (int i = 0; i < probes.length; i++) {
                wide.readRow(probes[i], one);
                result[b][d.length + i] = one[0];
            }
        }
        assertThat(result[0]).containsExactly(result[1]);
    }
}
