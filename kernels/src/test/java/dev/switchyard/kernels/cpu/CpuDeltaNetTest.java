package dev.switchyard.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.kernels.RecurrentStates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gated delta rule against the rule written out in double: two sequences interleaved in one
 * step and carried on in the next, value heads reading their key heads tiled (Qwen3.5) or grouped
 * (Qwen3-Next), widths past any vector length, a sequence starting afresh at position 0, one thread
 * against three; and Kimi's delta attention, whose gate is one per key channel, each decaying its
 * own row of the state.
 */
class CpuDeltaNetTest {

    private static final int KEY_HEADS = 2;
    private static final int HEADS = 6;
    private static final int DK = 20;
    private static final int DV = 36;
    private static final int WIDTH = 2 * KEY_HEADS * DK + HEADS * DV;
    private static final float EPS = 1e-6f;
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

    /**
     * The literal rule in double, on states [sequence][head][i][j] kept between calls: {@code heads}
     * value heads over {@code keyHeads} key heads, a gate per head or, with {@code channelGates}, one
     * per key channel of each.
     */
    private static final class Reference {
        final int keyHeads;
        final int heads;
        final boolean channelGates;
        final double[][][][] s;

        Reference(int keyHeads, int heads, boolean channelGates) {
            this.keyHeads = keyHeads;
            this.heads = heads;
            this.channelGates = channelGates;
            this.s = new double[4][heads][DK][DV];
        }

        /** Qwen3.5's and Qwen3-Next's shape of this test. */
        Reference() {
            this(KEY_HEADS, HEADS, false);
        }

        float[] run(int[] seq, int[] pos, float[] qkv, float[] beta, float[] alpha, float[] dtBias, float[] decay,
                    boolean tiled) {
            int tokens = seq.length;
            int width = 2 * keyHeads * DK + heads * DV;
            float[] out = new float[tokens * heads * DV];
            for (int t = 0; t < tokens; t++) {
                for (int h = 0; h < heads; h++) {
                    double[][] st = s[seq[t]][h];
                    if (pos[t] == 0) {
                        for (double[] row : st) {
                            java.util.Arrays.fill(row, 0);
                        }
                    }
                    int kh = tiled ? h % keyHeads : h / (heads / keyHeads);
                    double[] q = normalized(qkv, t * width + kh * DK);
                    double[] k = normalized(qkv, t * width + (keyHeads + kh) * DK);
                    double b = 1 / (1 + Math.exp(-beta[t * heads + h]));
                    for (int i = 0; i < DK; i++) {
                        q[i] /= Math.sqrt(DK);
                        double x = channelGates ? alpha[(t * heads + h) * DK + i] + dtBias[h * DK + i]
                                : alpha[t * heads + h] + dtBias[h];
                        double keep = Math.exp(decay[h] * (x > 20 ? x : Math.log1p(Math.exp(x))));
                        for (int j = 0; j < DV; j++) {
                            st[i][j] *= keep;
                        }
                    }
                    for (int j = 0; j < DV; j++) {
                        double read = 0;
                        for (int i = 0; i < DK; i++) {
                            read += st[i][j] * k[i];
                        }
                        double d = b * (qkv[t * width + 2 * keyHeads * DK + h * DV + j] - read);
                        double o = 0;
                        for (int i = 0; i < DK; i++) {
                            st[i][j] += k[i] * d;
                            o += st[i][j] * q[i];
                        }
                        out[(t * heads + h) * DV + j] = (float) o;
                    }
                }
            }
            return out;
        }

        private static double[] normalized(float[] src, int from) {
            double sum = 0;
            for (int i = 0; i < DK; i++) {
                sum += (double) src[from + i] * src[from + i];
            }
            double scale = 1 / Math.max(Math.sqrt(sum), EPS);
            double[] r = new double[DK];
            for (int i = 0; i < DK; i++) {
                r[i] = src[from + i] * scale;
            }
            return r;
        }
    }

    private record Step(int[] seq, int[] pos, float[] qkv, float[] beta, float[] alpha) {
        static Step of(long seed, int[] seq, int[] pos) {
            int t = seq.length;
            return new Step(seq, pos, TestData.gaussian(seed, t * WIDTH, 1f), TestData.gaussian(seed + 1, t * HEADS, 1.5f),
                    TestData.gaussian(seed + 2, t * HEADS, 2f));
        }
    }

    private static final float[] DT_BIAS = TestData.gaussian(7, HEADS, 1f);
    /** Negative, as the files store -exp(A_log); one large enough that softplus passes 20. */
    private static final float[] DECAY = {-0.5f, -1.2f, -0.05f, -2f, -0.8f, -0.3f};

    private static float[] run(CpuBackend b, RecurrentStates states, Step step, boolean tiled) {
        int t = step.seq().length;
        CpuMatrix qkv = (CpuMatrix) b.allocate(t, WIDTH);
        CpuMatrix beta = (CpuMatrix) b.allocate(t, HEADS);
        CpuMatrix alpha = (CpuMatrix) b.allocate(t, HEADS);
        CpuMatrix out = (CpuMatrix) b.allocate(t, HEADS * DV);
        System.arraycopy(step.qkv(), 0, qkv.data(), 0, step.qkv().length);
        System.arraycopy(step.beta(), 0, beta.data(), 0, step.beta().length);
        System.arraycopy(step.alpha(), 0, alpha.data(), 0, step.alpha().length);
        b.gatedDeltaNet(states, 1, step.seq(), step.pos(), qkv, beta, alpha, DT_BIAS, DECAY, KEY_HEADS, tiled, EPS, out, t);
        return out.data().clone();
    }

    private static Step[] steps() {
        Step first = Step.of(11, new int[] {2, 0, 2, 0, 2}, new int[] {0, 0, 1, 1, 2});
        Step second = Step.of(21, new int[] {0, 2, 2}, new int[] {2, 3, 4});
        // alpha pushed past softplus' linear threshold in one row
        first.alpha()[3 * HEADS + 1] = 30f;
        return new Step[] {first, second};
    }

    @Test
    void matchesTheRuleInDoubleOnInterleavedSequencesCarriedOverSteps() {
        for (boolean tiled : new boolean[] {true, false}) {
            Reference ref = new Reference();
            try (RecurrentStates states = one.allocateStates(2, 4, HEADS, DK, DV)) {
                for (Step step : steps()) {
                    float[] expected = ref.run(step.seq(), step.pos(), step.qkv(), step.beta(), step.alpha(), DT_BIAS,
                            DECAY, tiled);
                    TestData.assertClose(run(one, states, step, tiled), expected, 2e-5, "delta net, tiled " + tiled);
                }
            }
        }
    }

    @Test
    void tiledAndGroupedHeadsReadDifferentKeys() {
        Step step = steps()[0];
        try (RecurrentStates a = one.allocateStates(2, 4, HEADS, DK, DV);
             RecurrentStates b = one.allocateStates(2, 4, HEADS, DK, DV)) {
            assertThat(run(one, a, step, true)).isNotEqualTo(run(one, b, step, false));
        }
    }

    @Test
    void aSequenceAtPositionZeroStartsAfresh() {
        Step[] steps = steps();
        Step again = Step.of(31, new int[] {2, 2}, new int[] {0, 1});
        try (RecurrentStates used = one.allocateStates(2, 4, HEADS, DK, DV);
             RecurrentStates fresh = one.allocateStates(2, 4, HEADS, DK, DV)) {
            run(one, used, steps[0], true);
            run(one, used, steps[1], true);
            assertThat(run(one, used, again, true)).isEqualTo(run(one, fresh, again, true));
        }
    }

    @Test
    void oneThreadAndThreeAgreeBitForBit() {
        try (RecurrentStates a = one.allocateStates(2, 4, HEADS, DK, DV);
             RecurrentStates b = three.allocateStates(2, 4, HEADS, DK, DV)) {
            for (Step step : steps()) {
                assertThat(run(three, b, step, false)).isEqualTo(run(one, a, step, false));
            }
        }
    }

    @Test
    void aCopiedStateGoesOnAsTheOriginalDoes() {
        Step[] steps = steps();
        try (RecurrentStates states = one.allocateStates(2, 4, HEADS, DK, DV)) {
            run(one, states, steps[0], true);
            one.copyState(states, 2, 3); // sequence 2's state, as a checkpoint
            Step on = Step.of(41, new int[] {2, 2}, new int[] {3, 4});
            float[] original = run(one, states, on, true);
            one.copyState(states, 3, 1); // taken back into another slot
            float[] copy = run(one, states, new Step(new int[] {1, 1}, on.pos(), on.qkv(), on.beta(), on.alpha()), true);
            assertThat(copy).isEqualTo(original);
            assertThatThrownBy(() -> one.copyState(states, 0, 4)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void refusesPositionsOutOfOrderAndWrongShapes() {
        try (RecurrentStates states = one.allocateStates(2, 4, HEADS, DK, DV)) {
            assertThatThrownBy(() -> run(one, states, Step.of(1, new int[] {0, 0}, new int[] {3, 5}), true))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positions in order");
            assertThatThrownBy(() -> run(one, states, Step.of(1, new int[] {4}, new int[] {0}), true))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            CpuMatrix narrow = (CpuMatrix) one.allocate(1, WIDTH - 1);
            CpuMatrix gates = (CpuMatrix) one.allocate(1, HEADS);
            CpuMatrix out = (CpuMatrix) one.allocate(1, HEADS * DV);
            assertThatThrownBy(() -> one.gatedDeltaNet(states, 0, new int[] {0}, new int[] {0}, narrow, gates, gates,
                    DT_BIAS, DECAY, KEY_HEADS, true, EPS, out, 1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gatedDeltaNet shapes");
            assertThatThrownBy(() -> one.gatedDeltaNet(states, 0, new int[] {0}, new int[] {0},
                    (CpuMatrix) one.allocate(1, WIDTH), gates, gates, DT_BIAS, DECAY, 4, true, EPS, out, 1))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void gatesPerKeyChannelDecayEachRowOfTheStateByItsOwnGate() {
        int heads = 3;
        int width = 2 * heads * DK + heads * DV;
        float[] dtBias = TestData.gaussian(17, heads * DK, 1f);
        float[] decay = {-0.4f, -1.5f, -0.1f};
        int[][] seqs = {{2, 0, 2, 0, 2}, {0, 2, 2}};
        int[][] poss = {{0, 0, 1, 1, 2}, {2, 3, 4}};
        for (CpuBackend b : new CpuBackend[] {one, three}) {
            Reference ref = new Reference(heads, heads, true);
            try (RecurrentStates states = b.allocateStates(2, 4, heads, DK, DV)) {
                for (int c = 0; c < seqs.length; c++) {
                    int t = seqs[c].length;
                    float[] x = TestData.gaussian(51 + c, t * width, 1f);
                    float[] beta = TestData.gaussian(61 + c, t * heads, 1.5f);
                    float[] alpha = TestData.gaussian(71 + c, t * heads * DK, 2f);
                    alpha[DK + 3] = 30f; // one channel past softplus' linear threshold
                    CpuMatrix qkv = (CpuMatrix) b.allocate(t, width);
                    CpuMatrix betas = (CpuMatrix) b.allocate(t, heads);
                    CpuMatrix alphas = (CpuMatrix) b.allocate(t, heads * DK);
                    CpuMatrix out = (CpuMatrix) b.allocate(t, heads * DV);
                    System.arraycopy(x, 0, qkv.data(), 0, x.length);
                    System.arraycopy(beta, 0, betas.data(), 0, beta.length);
                    System.arraycopy(alpha, 0, alphas.data(), 0, alpha.length);
                    b.gatedDeltaNet(states, 1, seqs[c], poss[c], qkv, betas, alphas, dtBias, decay, heads, false, EPS, out, t);
                    float[] expected = ref.run(seqs[c], poss[c], x, beta, alpha, dtBias, decay, false);
                    TestData.assertClose(out.data().clone(), expected, 2e-5, "gates per key channel, step " + c
                            + ", " + b.threads() + " threads");
                }
            }
        }
    }

    @Test
    void gatesPerKeyChannelNeedAsManyKeyHeadsAsValueHeadsAndABiasPerGate() {
        try (RecurrentStates states = one.allocateStates(2, 4, HEADS, DK, DV)) {
            CpuMatrix qkv = (CpuMatrix) one.allocate(1, WIDTH);
            CpuMatrix beta = (CpuMatrix) one.allocate(1, HEADS);
            CpuMatrix alpha = (CpuMatrix) one.allocate(1, HEADS * DK);
            CpuMatrix out = (CpuMatrix) one.allocate(1, HEADS * DV);
            // six value heads over two key heads: a gate per key channel is not Kimi's shape
            assertThatThrownBy(() -> one.gatedDeltaNet(states, 0, new int[] {0}, new int[] {0}, qkv, beta, alpha,
                    new float[HEADS * DK], DECAY, KEY_HEADS, false, EPS, out, 1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gatedDeltaNet shapes");
        }
        int heads = 2;
        try (RecurrentStates states = one.allocateStates(2, 4, heads, DK, DV)) {
            CpuMatrix qkv = (CpuMatrix) one.allocate(1, 2 * heads * DK + heads * DV);
            CpuMatrix beta = (CpuMatrix) one.allocate(1, heads);
            CpuMatrix alpha = (CpuMatrix) one.allocate(1, heads * DK);
            CpuMatrix out = (CpuMatrix) one.allocate(1, heads * DV);
            // a bias per head where the gates are per channel
            assertThatThrownBy(() -> one.gatedDeltaNet(states, 0, new int[] {0}, new int[] {0}, qkv, beta, alpha,
                    new float[heads], new float[heads], heads, false, EPS, out, 1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gatedDeltaNet shapes");
        }
    }
}
