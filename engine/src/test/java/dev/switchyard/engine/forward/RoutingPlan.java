package dev.switchyard.engine.forward;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.moe.DispatchPlan;

/**
 * What routing and dispatch produce for one step: per row its experts ({@code -1} dropped) and weights,
 * per group the planner's figures, and per expert the padded list of (row, weight) pairs that the grouped
 * expert kernels read. {@link #cpu} computes it with the engine's own classes; {@link #assertSameAs}
 * compares two bit for bit (all NaNs count as one value).
 *
 * @param experts     (T, k) per row
 * @param weights     (T, k) per row
 * @param stats       (G, 5) per group: capacity, dropped, rerouted, max load, dropless max load
 * @param counts      (E) surviving assignments per expert
 * @param offsets     (E + 1) each expert's padded list starts at offsets[e]
 * @param listRows    (offsets[E]) rows, -1 as padding
 * @param listWeights (offsets[E]) weights, 0 as padding
 */
record RoutingPlan(int[] experts, float[] weights, int[] stats, int[] counts, int[] offsets, int[] listRows,
                   float[] listWeights) {

    static final int GROUP_STATS = 5;

    /**
     * The CPU's plan of {@code step} for the given router probabilities: {@link DispatchPlan} per capacity
     * group, then {@link ExpertBuckets} over the step, its lists padded to the step's alignment.
     */
    static RoutingPlan cpu(RoutingStep step, float[] probabilities) {
        int t = step.tokens;
        int k = step.k;
        int[] experts = new int[t * k];
        float[] weights = new float[t * k];
        int[] stats = new int[step.groups * GROUP_STATS];
        DispatchPlan plan = new DispatchPlan(step.config, step.experts, k, Math.max(1, t));
        for (int g = 0; g < step.groups; g++) {
            int n = step.groupStarts[g + 1] - step.groupStarts[g];
            plan.plan(probabilities, step.rows, step.groupStarts[g], step.position, step.sequence, n, experts, weights);
            int[] s = {plan.lastCapacity(), plan.lastDropped(), plan.lastRerouted(), plan.lastMaxLoad(),
                    plan.lastDroplessMaxLoad()};
            System.arraycopy(s, 0, stats, g * GROUP_STATS, GROUP_STATS);
        }
        ExpertBuckets buckets = new ExpertBuckets(step.experts, Math.max(1, t * k));
        buckets.build(t, k, experts, weights);
        int[] counts = new int[step.experts];
        int[] offsets = new int[step.experts + 1];
        for (int e = 0; e < step.experts; e++) {
            counts[e] = buckets.count(e);
            offsets[e + 1] = offsets[e] + (counts[e] + step.align - 1) / step.align * step.align;
        }
        int[] listRows = new int[offsets[step.experts]];
        float[] listWeights = new float[offsets[step.experts]];
        java.util.Arrays.fill(listRows, -1);
        for (int e = 0; e < step.experts; e++) {
            System.arraycopy(buckets.rows, buckets.offsets[e], listRows, offsets[e], counts[e]);
            System.arraycopy(buckets.weights, buckets.offsets[e], listWeights, offsets[e], counts[e]);
        }
        return new RoutingPlan(experts, weights, stats, counts, offsets, listRows, listWeights);
    }

    /** Asserts that this plan equals {@code expected}, naming the first difference. */
    void assertSameAs(RoutingPlan expected, Object step) {
        assertThat(experts).as("%s: experts per row", step).containsExactly(expected.experts);
        assertSameBits(weights, expected.weights, step + ": weights per row");
        assertThat(stats).as("%s: group figures (capacity, dropped, rerouted, max load, dropless max load)", step)
                .containsExactly(expected.stats);
        assertThat(counts).as("%s: assignments per expert", step).containsExactly(expected.counts);
        assertThat(offsets).as("%s: list offsets", step).containsExactly(expected.offsets);
        assertThat(listRows).as("%s: list rows", step).containsExactly(expected.listRows);
        assertSameBits(listWeights, expected.listWeights, step + ": list weights");
    }

    /**
     * Asserts each router probability within one float ulp of the CPU's (double exp may differ in
     * its last bit between libraries) and returns how many are bit-identical.
     */
    static int probabilitiesWithinAnUlp(float[] actual, float[] cpu, Object what) {
        int exact = 0;
        for (int i = 0; i < cpu.length; i++) {
            long ulps = ulps(actual[i], cpu[i]);
            assertThat(ulps).as("%s: probability %d, %s against the CPU's %s", what, i, actual[i], cpu[i])
                    .isLessThanOrEqualTo(1);
            exact += ulps == 0 ? 1 : 0;
        }
        return exact;
    }

    static void assertSameBits(float[] actual, float[] expected, String what) {
        assertThat(actual.length).as(what + ": length").isEqualTo(expected.length);
        for (int i = 0; i < actual.length; i++) {
            if (Float.floatToIntBits(actual[i]) != Float.floatToIntBits(expected[i])) {
                throw new AssertionError(what + ": at " + i + ", " + actual[i] + " (0x"
                        + Integer.toHexString(Float.floatToRawIntBits(actual[i])) + ") instead of " + expected[i]
                        + " (0x" + Integer.toHexString(Float.floatToRawIntBits(expected[i])) + ")");
            }
        }
    }

    /** How many float ulps apart a and b are (0 for equal values, also +0 and -0). */
    static long ulps(float a, float b) {
        if (a == b || (Float.isNaN(a) && Float.isNaN(b))) {
            return 0;
        }
        return Math.abs((long) ordered(a) - ordered(b));
    }

    private static int ordered(float x) {
        int bits = Float.floatToIntBits(x);
        return bits < 0 ? Integer.MIN_VALUE - bits : bits;
    }
}
