package dev.switchyard.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The steps the recurrent ops' on-host tests ({@link DeltaNetOnHostTest}, {@link SelectiveScanOnHostTest})
 * run on layer 1: sequences 2 and 0 interleaved, then carried on, then 2 afresh at position 0 while
 * 0 goes on; and between them calls on layer 0 for sequences 1 and 0. The first step pushes one
 * row's step size past softplus' linear threshold.
 */
final class RecurrentSchedule {

    /** Runs one call of the op on both the host kernel and the CPU, returning its output. */
    interface Call {
        float[] run(int layer, long seed, int[] seq, int[] pos, boolean pastSoftplusThreshold, String what)
                throws Throwable;
    }

    private static final int[][] SEQUENCES = {{2, 0, 2, 0, 2}, {0, 2, 2}, {2, 0, 2}};
    private static final int[][] POSITIONS = {{0, 0, 1, 1, 2}, {2, 3, 4}, {0, 3, 1}};

    private RecurrentSchedule() {
    }

    /** Runs the schedule; each layer-1 output must be a number, its last value not 0 ({@code computes} says what). */
    static void interleavedAndRestarted(Call call, String computes) throws Throwable {
        for (int i = 0; i < SEQUENCES.length; i++) {
            float[] out = call.run(1, 11 + 10L * i, SEQUENCES[i], POSITIONS[i], i == 0, "step " + i);
            assertThat(out).as(computes).doesNotContain(Float.NaN);
            assertThat(Math.abs(out[out.length - 1])).isPositive();
            call.run(0, 41 + i, new int[] {1, 0}, new int[] {i, i}, false, "other layer, step " + i);
        }
    }
}
