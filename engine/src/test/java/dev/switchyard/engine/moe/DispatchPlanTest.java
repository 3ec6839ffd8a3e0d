package dev.switchyard.engine.moe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Hand-worked groups: the class comment's example, the tie rules, the edges. */
class DispatchPlanTest {

    /** The worked example of DispatchPlan's class comment: 4 tokens at positions 0..3, E = 4, k = 2. */
    private static final float[][] EXAMPLE = {
            {.50f, .30f, .15f, .05f},
            {.40f, .35f, .05f, .20f},
            {.45f, .10f, .25f, .20f},
            {.40f, .30f, .10f, .20f},
    };

    /** A planned group: experts and weights per group token (in the order given). */
    private record Planned(int[][] experts, float[][] weights, DispatchPlan plan) {
    }

    private static DispatchConfig config(OverflowMode mode, double gamma, boolean normalize) {
        return new DispatchConfig(mode, gamma, CapacityScope.SEQUENCE, 64, normalize);
    }

    /** Plans tokens t with probabilities p[t], positions and tie keys, placed at step rows 0..n in order. */
    private static Planned plan(DispatchConfig config, int k, float[][] p, int[] positions, int[] tieKeys) {
        int n = p.length;
        int experts = p[0].length;
        DispatchPlan plan = new DispatchPlan(config, experts, k, n);
        return plan(plan, p, positions, tieKeys);
    }

    private static Planned plan(DispatchPlan plan, float[][] p, int[] positions, int[] tieKeys) {
        int n = p.length;
        int experts = plan.experts();
        int k = plan.k();
        float[] probabilities = new float[n * experts];
        int[] rows = new int[n];
        for (int t = 0; t < n; t++) {
            System.arraycopy(p[t], 0, probabilities, t * experts, experts);
            rows[t] = t;
        }
        int[] outExperts = new int[n * k];
        float[] outWeights = new float[n * k];
        plan.plan(probabilities, rows, positions, tieKeys, n, outExperts, outWeights);
        int[][] ex = new int[n][];
        float[][] w = new float[n][];
        for (int t = 0; t < n; t++) {
            ex[t] = Arrays.copyOfRange(outExperts, t * k, t * k + k);
            w[t] = Arrays.copyOfRange(outWeights, t * k, t * k + k);
        }
        return new Planned(ex, w, plan);
    }

    private static Planned example(OverflowMode mode, boolean normalize) {
        return plan(config(mode, 1.0, normalize), 2, EXAMPLE, new int[] {0, 1, 2, 3}, new int[] {7, 7, 7, 7});
    }

    @Test
    void workedExampleHasCapacityTwo() {
        assertThat(DispatchPlan.capacity(1.0, 4, 2, 4)).isEqualTo(2);
        assertThat(example(OverflowMode.DROP, true).plan().lastCapacity()).isEqualTo(2);
    }

    @Test
    void workedExampleWithoutCapacityIsThePlainTopK() {
        Planned none = example(OverflowMode.NONE, false);
        assertThat(none.experts()).isDeepEqualTo(new int[][] {{0, 1}, {0, 1}, {0, 2}, {0, 1}});
        assertThat(none.weights()).isDeepEqualTo(new float[][] {{.50f, .30f}, {.40f, .35f}, {.45f, .25f}, {.40f, .30f}});
        assertThat(none.plan().lastDroplessMaxLoad()).isEqualTo(4);
        assertThat(none.plan().lastMaxLoad()).isEqualTo(4);
        assertThat(none.plan().lastDropped()).isZero();
    }

    @Test
    void workedExampleDropKeepsEachExpertsTwoBestAndEarlierTokenOnTies() {
        Planned drop = example(OverflowMode.DROP, false);
        // e0: t0 .50, t2 .45 kept; t1 and t3 (.40) dropped. e1: t1 .35 kept, t0 beats t3 at .30 by position
        assertThat(drop.experts()).isDeepEqualTo(new int[][] {{0, 1}, {-1, 1}, {0, 2}, {-1, -1}});
        assertThat(drop.weights()).isDeepEqualTo(new float[][] {{.50f, .30f}, {0, .35f}, {.45f, .25f}, {0, 0}});
        assertThat(drop.plan().lastDropped()).isEqualTo(3);
        assertThat(drop.plan().lastRerouted()).isZero();
        assertThat(drop.plan().lastMaxLoad()).isEqualTo(2);

        Planned normalized = example(OverflowMode.DROP, true);
        assertThat(normalized.weights()[0]).containsExactly(.625f, .375f);
        assertThat(normalized.weights()[1]).containsExactly(0f, 1f);
        assertThat(normalized.weights()[2][0]).isCloseTo(.45f / .70f, within(1e-6f));
        assertThat(normalized.weights()[3]).containsExactly(0f, 0f);
    }

    @Test
    void workedExampleRerouteFillsTheFreeExpertsInPositionThenRankOrder() {
        Planned reroute = example(OverflowMode.REROUTE, false);
        // t1 rank 0 -> e3 (.20 over e2 .05); t3 rank 0 -> e3 (.20); t3 rank 1 -> e2 (e3 now full and its own)
        assertThat(reroute.experts()).isDeepEqualTo(new int[][] {{0, 1}, {3, 1}, {0, 2}, {3, 2}});
        assertThat(reroute.weights()).isDeepEqualTo(new float[][] {{.50f, .30f}, {.20f, .35f}, {.45f, .25f}, {.20f, .10f}});
        assertThat(reroute.plan().lastRerouted()).isEqualTo(3);
        assertThat(reroute.plan().lastDropped()).isZero();
        assertThat(reroute.plan().lastMaxLoad()).isEqualTo(2);

        Planned normalized = example(OverflowMode.REROUTE, true);
        assertThat(normalized.weights()[1][0]).isCloseTo(.20f / .55f, within(1e-6f));
        assertThat(normalized.weights()[1][1]).isCloseTo(.35f / .55f, within(1e-6f));
        assertThat(normalized.weights()[3][0]).isCloseTo(2f / 3f, within(1e-6f));
        assertThat(normalized.weights()[3][1]).isCloseTo(1f / 3f, within(1e-6f));
    }

    @Test
    void workedExampleIsTheSameInAnyRowOrder() {
        int[] order = {2, 0, 3, 1};
        float[][] p = new float[4][];
        int[] positions = new int[4];
        for (int i = 0; i < 4; i++) {
            p[i] = EXAMPLE[order[i]];
            positions[i] = order[i];
        }
        Planned shuffled = plan(config(OverflowMode.REROUTE, 1.0, false), 2, p, positions, new int[] {7, 7, 7, 7});
        int[][] expected = {{0, 1}, {3, 1}, {0, 2}, {3, 2}};
        for (int i = 0; i < 4; i++) {
            assertThat(shuffled.experts()[i]).containsExactly(expected[order[i]]);
        }
    }

    @Test
    void equalScoresGoToTheEarlierPositionWhateverTheRow() {
        // two tokens want expert 0 at the same score; C = ceil(0.5 * 2 * 1 / 2) = 1
        float[][] p = {{.6f, .4f}, {.6f, .4f}};
        DispatchConfig drop = config(OverflowMode.DROP, 0.5, false);
        Planned later = plan(drop, 1, p, new int[] {9, 4}, new int[] {0, 0});
        assertThat(later.experts()).isDeepEqualTo(new int[][] {{-1}, {0}});
        Planned earlier = plan(drop, 1, p, new int[] {4, 9}, new int[] {0, 0});
        assertThat(earlier.experts()).isDeepEqualTo(new int[][] {{0}, {-1}});
    }

    @Test
    void equalScoresAndPositionsGoToTheLowerTieKey() {
        // batch scope: two sequences' tokens at the same position
        float[][] p = {{.6f, .4f}, {.6f, .4f}};
        DispatchConfig drop = config(OverflowMode.DROP, 0.5, false);
        assertThat(plan(drop, 1, p, new int[] {3, 3}, new int[] {12, 5}).experts()).isDeepEqualTo(new int[][] {{-1}, {0}});
        assertThat(plan(drop, 1, p, new int[] {3, 3}, new int[] {-5, 5}).experts()).isDeepEqualTo(new int[][] {{0}, {-1}});
    }

    @Test
    void aHigherScoreWinsOverAnEarlierPosition() {
        float[][] p = {{.6f, .4f}, {.7f, .3f}};
        Planned drop = plan(config(OverflowMode.DROP, 0.5, false), 1, p, new int[] {0, 1}, new int[] {0, 0});
        assertThat(drop.experts()).isDeepEqualTo(new int[][] {{-1}, {0}});
    }

    @Test
    void topKTiesGoToTheLowerExpertIndex() {
        float[][] p = {{.2f, .3f, .3f, .2f}};
        Planned none = plan(config(OverflowMode.NONE, 1, false), 3, p, new int[] {0}, new int[] {0});
        assertThat(none.experts()[0]).containsExactly(1, 2, 0);
    }

    @Test
    void rerouteTiesGoToTheLowerExpertIndex() {
        // both tokens pick e0; t1 overflows and e1, e2, e3 tie at .2: e1 is taken
        float[][] p = {{.4f, .2f, .2f, .2f}, {.4f, .2f, .2f, .2f}};
        Planned reroute = plan(config(OverflowMode.REROUTE, 1, false), 1, p, new int[] {0, 1}, new int[] {0, 0});
        assertThat(reroute.experts()).isDeepEqualTo(new int[][] {{0}, {1}});
    }

    @Test
    void overflowIsReroutedByPositionBeforeScore() {
        // k = 1, E = 3, T = 3: C = 1. All want e0; t0 keeps it (higher score). t1 (pos 1) and t2 (pos 2)
        // overflow; both prefer e1. t1 is earlier so takes e1 although t2's score for e1 is higher; t2 gets e2.
        float[][] p = {{.9f, .05f, .05f}, {.5f, .3f, .2f}, {.5f, .45f, .05f}};
        Planned reroute = plan(config(OverflowMode.REROUTE, 1, false), 1, p, new int[] {0, 1, 2}, new int[] {0, 0, 0});
        assertThat(reroute.experts()).isDeepEqualTo(new int[][] {{0}, {1}, {2}});
    }

    @Test
    void overflowAtOnePositionIsReroutedByRankBeforeTieKey() {
        // batch scope: three sequences' tokens all at position 5; T = 3, k = 2, E = 4, gamma 0.5: C = 1
        float[][] p = {
                {.40f, .30f, .20f, .10f},  // A: top e0, e1
                {.45f, .50f, .04f, .01f},  // B: top e1, e0; wins both
                {.10f, .05f, .79f, .06f},  // C: top e2, e0
        };
        // e0: B .45 > A .40 > C .10 -> A rank 0 and C rank 1 overflow; e1: B .50 > A .30 -> A rank 1 overflows.
        // The one expert with room is e3, wanted by A's rank-0 and by C's rank-1 overflow.
        // Rank comes before the tie key, so A's rank 0 gets e3 even when C has the lower key.
        int[] positions = {5, 5, 5};
        int[][] expected = {{3, -1}, {1, 0}, {2, -1}};
        DispatchConfig reroute = config(OverflowMode.REROUTE, 0.5, false);
        assertThat(plan(reroute, 2, p, positions, new int[] {1, 2, 3}).experts()).isDeepEqualTo(expected);
        assertThat(plan(reroute, 2, p, positions, new int[] {1, 2, 0}).experts()).isDeepEqualTo(expected);
    }

    @Test
    void overflowOfEqualPositionAndRankIsReroutedByTieKey() {
        // two sequences' tokens at position 0 both lose e0 to a third; one spare slot (e2)
        float[][] p = {{.9f, .0f, .1f}, {.5f, .0f, .3f}, {.5f, .0f, .3f}};
        // T = 3, k = 1, E = 3, gamma 1: C = 1. e0: t0 .9 kept; t1, t2 overflow; both prefer e2 (.3) then e1 (0).
        Planned a = plan(config(OverflowMode.REROUTE, 1, false), 1, p, new int[] {0, 0, 0}, new int[] {10, 30, 20});
        assertThat(a.experts()).isDeepEqualTo(new int[][] {{0}, {1}, {2}});
        Planned b = plan(config(OverflowMode.REROUTE, 1, false), 1, p, new int[] {0, 0, 0}, new int[] {10, 20, 30});
        assertThat(b.experts()).isDeepEqualTo(new int[][] {{0}, {2}, {1}});
    }

    @Test
    void rerouteDropsWhenNoExpertHasRoom() {
        // k = 2 of E = 2: every token already has both experts, so an overflow has nowhere to go
        float[][] p = {{.6f, .4f}, {.7f, .3f}};
        Planned reroute = plan(config(OverflowMode.REROUTE, 0.5, true), 2, p, new int[] {0, 1}, new int[] {0, 0});
        // C = ceil(0.5 * 4 / 2) = 1: e0 -> t1 (.7), e1 -> t0 (.4)
        assertThat(reroute.experts()).isDeepEqualTo(new int[][] {{-1, 1}, {0, -1}});
        assertThat(reroute.weights()).isDeepEqualTo(new float[][] {{0, 1}, {1, 0}});
        assertThat(reroute.plan().lastDropped()).isEqualTo(2);
    }

    @Test
    void aSingleTokenNeverOverflowsHoweverSmallGamma() {
        float[][] p = {{.1f, .2f, .3f, .4f}};
        for (OverflowMode mode : OverflowMode.values()) {
            Planned one = plan(config(mode, 1e-300, true), 4, p, new int[] {0}, new int[] {0});
            assertThat(one.experts()[0]).containsExactly(3, 2, 1, 0);
            assertThat(one.plan().lastCapacity()).isEqualTo(1);
            assertThat(one.plan().lastDropped()).isZero();
        }
    }

    @Test
    void capacityIsTheCeilingOfGammaTimesTheMeanLoad() {
        assertThat(DispatchPlan.capacity(1.0, 64, 2, 8)).isEqualTo(16);
        assertThat(DispatchPlan.capacity(1.25, 64, 2, 8)).isEqualTo(20);
        assertThat(DispatchPlan.capacity(1.0, 3, 2, 4)).isEqualTo(2);
        assertThat(DispatchPlan.capacity(0.01, 3, 2, 4)).isEqualTo(1);
        assertThat(DispatchPlan.capacity(1e-320, 3, 2, 4)).isEqualTo(1);
        assertThat(DispatchPlan.capacity(3.0, 1_000_000, 8, 2)).isEqualTo(12_000_000);
    }

    @Test
    void twoTokensWithTheSamePositionAndTieKeyAreRejected() {
        float[][] p = {{.6f, .4f}, {.6f, .4f}};
        assertThatThrownBy(() -> plan(config(OverflowMode.DROP, 1, false), 1, p, new int[] {2, 2}, new int[] {1, 1}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("share position 2 and tie key 1");
    }

    @Test
    void aRowOutsideTheStepIsRejected() {
        DispatchPlan plan = new DispatchPlan(config(OverflowMode.DROP, 1, false), 2, 1, 4);
        assertThatThrownBy(() -> plan.plan(new float[4], new int[] {0, 2}, new int[3], new int[3], 2, new int[2], new float[2]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row 2");
        assertThatThrownBy(() -> plan.plan(new float[10], new int[5], new int[5], new int[5], 5, new int[5], new float[5]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0..4");
    }

    @Test
    void badShapesAreRejected() {
        DispatchConfig c = DispatchConfig.defaults(true);
        assertThatThrownBy(() -> new DispatchPlan(c, 0, 1, 1)).hasMessageContaining("expert count");
        assertThatThrownBy(() -> new DispatchPlan(c, 4, 5, 1)).hasMessageContaining("1..4");
        assertThatThrownBy(() -> new DispatchPlan(c, 4, 0, 1)).hasMessageContaining("1..4");
        assertThatThrownBy(() -> new DispatchPlan(c, 4, 2, 0)).hasMessageContaining("maxTokens");
    }

    @Test
    void anEmptyGroupWritesNothing() {
        DispatchPlan plan = new DispatchPlan(config(OverflowMode.REROUTE, 1, true), 4, 2, 4);
        int[] out = {5, 5};
        plan.plan(new float[4], new int[0], new int[0], new int[0], 0, out, new float[2]);
        assertThat(out).containsExactly(5, 5);
        assertThat(plan.stats().groups()).isZero();
    }

    @Test
    void statsAccumulateDropsReroutesAndLoadRatios() {
        DispatchPlan plan = new DispatchPlan(config(OverflowMode.DROP, 1, false), 4, 2, 4);
        int[] positions = {0, 1, 2, 3};
        int[] keys = {0, 0, 0, 0};
        plan(plan, EXAMPLE, positions, keys);
        plan(plan, EXAMPLE, positions, keys);
        DispatchStats stats = plan.stats();
        assertThat(stats.groups()).isEqualTo(2);
        assertThat(stats.tokens()).isEqualTo(8);
        assertThat(stats.assignments()).isEqualTo(16);
        assertThat(stats.dropped()).isEqualTo(6);
        assertThat(stats.dropRate()).isEqualTo(6 / 16.0);
        assertThat(stats.rerouted()).isZero();
        // mean load 8 / 4 = 2: dropless busiest 4 (ratio 2), dispatched busiest 2 (ratio 1)
        assertThat(stats.droplessLoadRatio()).isEqualTo(2.0);
        assertThat(stats.loadRatio()).isEqualTo(1.0);
        assertThat(stats.worstDroplessLoadRatio()).isEqualTo(2.0);
        assertThat(DispatchStats.loadRatio(4, 4, 2, 4)).isEqualTo(2.0);

        DispatchStats total = new DispatchStats();
        total.add(stats);
        total.add(stats);
        assertThat(total.dropped()).isEqualTo(12);
        assertThat(total.toString()).contains("dropped=12");
        total.reset();
        assertThat(total.groups()).isZero();
        assertThat(total.loadRatio()).isZero();
    }

    @Test
    void planningAllocatesNothing() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        DispatchCase g = DispatchCase.random(42, 64, 16, 4, 3);
        int stepRows = g.stepRows;
        float[] probabilities = new float[stepRows * g.experts];
        int[] positions = new int[stepRows];
        int[] keys = new int[stepRows];
        for (int t = 0; t < g.tokens; t++) {
            System.arraycopy(g.p[t], 0, probabilities, g.rowOf[t] * g.experts, g.experts);
            positions[g.rowOf[t]] = g.position[t];
            keys[g.rowOf[t]] = g.tieKey[t];
        }
        int[] outExperts = new int[stepRows * g.k];
        float[] outWeights = new float[stepRows * g.k];
        DispatchPlan plan = new DispatchPlan(config(OverflowMode.REROUTE, 0.5, true), g.experts, g.k, g.tokens);
        for (int i = 0; i < 200; i++) {
            plan.plan(probabilities, g.rowOf, positions, keys, g.tokens, outExperts, outWeights);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 1000; i++) {
            plan.plan(probabilities, g.rowOf, positions, keys, g.tokens, outExperts, outWeights);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(plan.lastRerouted() + plan.lastDropped()).as("the group overflows").isPositive();
        assertThat(allocated).as("bytes allocated by 1000 plans").isLessThan(1024);
    }

    /**
     * Selection keys rank, probabilities weigh and decide the competition: both tokens pick e0 by
     * their keys (by probability t0 would take e3); at capacity 1 the competition keeps t1 (probability
     * .5 for e0 against .1); t0 reroutes by its keys, past e3 (out of reach), to e2, weighted by its
     * probability for e2.
     */
    @Test
    void selectionKeysRankAndRerouteWhileProbabilitiesWeighAndCompete() {
        float inf = Float.NEGATIVE_INFINITY;
        float[] probabilities = {.1f, .2f, .3f, .4f, .5f, .1f, .2f, .2f};
        float[] keys = {.9f, .2f, .3f, inf, .8f, .7f, inf, .1f};
        DispatchPlan plan = new DispatchPlan(config(OverflowMode.REROUTE, 1.0, false), 4, 1, 2);
        int[] experts = new int[2];
        float[] weights = new float[2];
        plan.plan(probabilities, keys, new int[] {0, 1}, 0, new int[] {0, 1}, new int[] {0, 0}, 2, experts, weights);
        assertThat(experts).containsExactly(2, 0);
        assertThat(weights).containsExactly(.3f, .5f);
        assertThat(plan.lastRerouted()).isEqualTo(1);

        // without keys the probabilities rank: t0 takes e3, and nothing overflows
        plan.plan(probabilities, null, new int[] {0, 1}, 0, new int[] {0, 1}, new int[] {0, 0}, 2, experts, weights);
        assertThat(experts).containsExactly(3, 0);
        assertThat(plan.lastRerouted()).isZero();
    }

    @Test
    void aTokenWithTooFewExpertsInReachOfItsKeysIsRefused() {
        float inf = Float.NEGATIVE_INFINITY;
        DispatchPlan plan = new DispatchPlan(config(OverflowMode.DROP, 1.0, true), 4, 2, 1);
        assertThatThrownBy(() -> plan.plan(new float[] {.25f, .25f, .25f, .25f}, new float[] {inf, inf, .5f, inf},
                new int[] {0}, 0, new int[] {0}, new int[] {0}, 1, new int[2], new float[2]))
                .hasMessageContaining("fewer than 2 experts within reach");
    }
}
