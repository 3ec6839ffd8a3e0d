package dev.switchyard.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.kernels.RecurrentStates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Mamba2's selective scan against the recurrence written out in double: two sequences interleaved
 * in one step and carried on in the next, heads in groups reading their group's inputs and outputs,
 * widths past any vector length, a sequence starting afresh at position 0, one thread against three.
 */
class CpuSelectiveScanTest {

    private static final int GROUPS = 2;
    private static final int HEADS = 6;
    private static final int DS = 20;
    private static final int DC = 36;
    private static final int WIDTH = HEADS * DC + 2 * GROUPS * DS;
    private static CpuBackend one;
    private static CpuBackend three;

    @BeforeAll
    static void start() {
        one = new CpuBackend(1);
        three = new CpuBackend(3);
    }

    @AfterAll
    static void stop() {
        one.close();
        three.close();
    }

    /** The literal recurrence in double, on states [sequence][head][i][j] kept between calls. */
    private static final class Reference {
        final double[][][][] s = new double[4][HEADS][DS][DC];

        float[] run(int[] seq, int[] pos, float[] xbc, float[] dt, int groups) {
            int tokens = seq.length;
            float[] out = new float[tokens * HEADS * DC];
            int width = HEADS * DC + 2 * groups * DS;
            for (int t = 0; t < tokens; t++) {
                for (int h = 0; h < HEADS; h++) {
                    double[][] st = s[seq[t]][h];
                    if (pos[t] == 0) {
                        for (double[] row : st) {
                            java.util.Arrays.fill(row, 0);
                        }
                    }
                    int g = h / (HEADS / groups);
                    int b = t * width + HEADS * DC + g * DS;
                    int c = t * width + HEADS * DC + groups * DS + g * DS;
                    double raw = dt[t * HEADS + h] + DT_BIAS[h];
                    double d = raw > 20 ? raw : Math.log1p(Math.exp(raw));
                    double keep = Math.exp(d * DECAY[h]);
                    for (int j = 0; j < DC; j++) {
                        double x = xbc[t * width + h * DC + j];
                        double y = 0;
                        for (int i = 0; i < DS; i++) {
                            st[i][j] = st[i][j] * keep + xbc[b + i] * x * d;
                            y += st[i][j] * xbc[c + i];
                        }
                        out[(t * HEADS + h) * DC + j] = (float) (y + x * SKIP[h]);
                    }
                }
            }
            return out;
        }
    }

    private record Step(int[] seq, int[] pos, float[] xbc, float[] dt) {
        static Step of(long seed, int[] seq, int[] pos) {
            int t = seq.length;
            return new Step(seq, pos, TestData.gaussian(seed, t * WIDTH, 1f), TestData.gaussian(seed + 1, t * HEADS, 1.5f));
        }
    }

    private static final float[] DT_BIAS = TestData.gaussian(7, HEADS, 1f);
    /** Negative, as the files store -exp(A_log). */
    private static final float[] DECAY = {-0.5f, -1.2f, -0.05f, -2f, -0.8f, -3f};
    private static final float[] SKIP = TestData.gaussian(8, HEADS, 1f);

    private static float[] run(CpuBackend b, RecurrentStates states, Step step, int groups) {
        int t = step.seq().length;
        CpuMatrix xbc = (CpuMatrix) b.allocate(t, HEADS * DC + 2 * groups * DS);
        CpuMatrix dt = (CpuMatrix) b.allocate(t, HEADS);
        CpuMatrix out = (CpuMatrix) b.allocate(t, HEADS * DC);
        System.arraycopy(step.xbc(), 0, xbc.data(), 0, step.xbc().length);
        System.arraycopy(step.dt(), 0, dt.data(), 0, step.dt().length);
        b.selectiveScan(states, 1, step.seq(), step.pos(), xbc, dt, DT_BIAS, DECAY, SKIP, groups, out, t);
        return out.data().clone();
    }

    private static Step[] steps() {
        Step first = Step.of(11, new int[] {2, 0, 2, 0, 2}, new int[] {0, 0, 1, 1, 2});
        Step second = Step.of(21, new int[] {0, 2, 2}, new int[] {2, 3, 4});
        // dt pushed past softplus' linear threshold in one row
        first.dt()[3 * HEADS + 1] = 25f;
        return new Step[] {first, second};
    }

    @Test
    void matchesTheRecurrenceInDoubleOnInterleavedSequencesCarriedOverSteps() {
        for (int groups : new int[] {1, GROUPS, HEADS}) {
            Reference ref = new Reference();
            try (RecurrentStates states = one.allocateStates(2, 4, HEADS, DS, DC)) {
                for (Step step : steps()) {
                    float[] expected = ref.run(step.seq(), step.pos(), widened(step.xbc(), groups), step.dt(), groups);
                    Step s = new Step(step.seq(), step.pos(), widened(step.xbc(), groups), step.dt());
                    TestData.assertClose(run(one, states, s, groups), expected, 2e-5, "selective scan, " + groups + " groups");
                }
            }
        }
    }

    /** The step's rows as wide as {@code groups} groups need (the test's shapes are for GROUPS). */
    private static float[] widened(float[] xbc, int groups) {
        if (groups == GROUPS) {
            return xbc;
        }
        int width = HEADS * DC + 2 * groups * DS;
        int rows = xbc.length / WIDTH;
        float[] out = TestData.gaussian(99 + groups, rows * width, 1f);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(xbc, r * WIDTH, out, r * width, Math.min(WIDTH, width));
        }
        return out;
    }

    private static float[] run(CpuBackend b, RecurrentStates states, Step step) {
        return run(b, states, step, GROUPS);
    }

    @Test
    void headsReadTheirOwnGroupsInputs() {
        Step step = steps()[0];
        Step other = new Step(step.seq(), step.pos(), step.xbc().clone(), step.dt());
        // the second group's B of the first token: only heads 3..5 read it
        other.xbc()[HEADS * DC + DS] += 1f;
        try (RecurrentStates a = one.allocateStates(2, 4, HEADS, DS, DC);
             RecurrentStates b = one.allocateStates(2, 4, HEADS, DS, DC)) {
            float[] x = run(one, a, step);
            float[] y = run(one, b, other);
            for (int h = 0; h < HEADS; h++) {
                float[] xh = java.util.Arrays.copyOfRange(x, h * DC, (h + 1) * DC);
                float[] yh = java.util.Arrays.copyOfRange(y, h * DC, (h + 1) * DC);
                if (h < HEADS / GROUPS) {
                    assertThat(yh).as("head " + h).isEqualTo(xh);
                } else {
                    assertThat(yh).as("head " + h).isNotEqualTo(xh);
                }
            }
        }
    }

    @Test
    void aSequenceAtPositionZeroStartsAfresh() {
        Step[] steps = steps();
        Step again = Step.of(31, new int[] {2, 2}, new int[] {0, 1});
        try (RecurrentStates used = one.allocateStates(2, 4, HEADS, DS, DC);
             RecurrentStates fresh = one.allocateStates(2, 4, HEADS, DS, DC)) {
            run(one, used, steps[0]);
            run(one, used, steps[1]);
            assertThat(run(one, used, again)).isEqualTo(run(one, fresh, again));
        }
    }

    @Test
    void oneThreadAndThreeAgreeBitForBit() {
        try (RecurrentStates a = one.allocateStates(2, 4, HEADS, DS, DC);
             RecurrentStates b = three.allocateStates(2, 4, HEADS, DS, DC)) {
            for (Step step : steps()) {
                assertThat(run(three, b, step)).isEqualTo(run(one, a, step));
            }
        }
    }

    @Test
    void refusesPositionsOutOfOrderAndWrongShapes() {
        try (RecurrentStates states = one.allocateStates(2, 4, HEADS, DS, DC)) {
            assertThatThrownBy(() -> run(one, states, Step.of(1, new int[] {0, 0}, new int[] {3, 5})))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positions in order");
            assertThatThrownBy(() -> run(one, states, Step.of(1, new int[] {4}, new int[] {0})))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            CpuMatrix narrow = (CpuMatrix) one.allocate(1, WIDTH - 1);
            CpuMatrix dt = (CpuMatrix) one.allocate(1, HEADS);
            CpuMatrix out = (CpuMatrix) one.allocate(1, HEADS * DC);
            assertThatThrownBy(() -> one.selectiveScan(states, 0, new int[] {0}, new int[] {0}, narrow, dt, DT_BIAS,
                    DECAY, SKIP, GROUPS, out, 1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("selectiveScan shapes");
            assertThatThrownBy(() -> one.selectiveScan(states, 0, new int[] {0}, new int[] {0},
                    (CpuMatrix) one.allocate(1, WIDTH), dt, DT_BIAS, DECAY, SKIP, 4, out, 1))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
