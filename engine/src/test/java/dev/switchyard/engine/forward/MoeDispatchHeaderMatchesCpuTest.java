package dev.switchyard.engine.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.switchyard.engine.model.ExpertRouting;
import dev.switchyard.engine.moe.CapacityScope;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.engine.moe.OverflowMode;
import java.nio.file.Path;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CUDA backend's routing and dispatch code, built for the host from the very header the fatbin is
 * compiled from (moe_dispatch.cuh), plans every step as the CPU does: experts and weights per row bit for
 * bit ({@link dev.switchyard.engine.moe.DispatchPlan}), the same per-expert (row, weight) lists in the
 * same order ({@link ExpertBuckets}), the same figures per group; and its router softmax is within one
 * float ulp of {@link RouterSelection#softmax} (double exp differs across libraries in the last bit),
 * with the same top-k, as are its sigmoid scores, selection biases and expert groups to
 * {@link ExpertSelector}'s. Every step runs with one thread and with many, played in descending order, so a
 * phase that read another thread's output of the same phase would differ. Skipped, with the reason,
 * where no C++ compiler or no source tree is at hand.
 */
class MoeDispatchHeaderMatchesCpuTest {

    /** Random steps compared, every mode, gamma, scope, alignment and probability style among them. */
    static final int RANDOM_STEPS = 3000;
    static final int ROUTED_STEPS = 400;
    private static final int[] THREADS = {3, 32, 256};

    @TempDir
    static Path dir;

    private static MoeDispatchHostLibrary library;

    @BeforeAll
    static void build() throws Exception {
        Optional<String> why = MoeDispatchHostLibrary.unavailable();
        assumeTrue(why.isEmpty(), () -> "cannot build the host library: " + why.orElseThrow());
        library = MoeDispatchHostLibrary.build(dir);
    }

    @AfterAll
    static void close() {
        if (library != null) {
            library.close();
        }
    }

    @Test
    void randomStepsArePlannedBitForBitAsTheCpuPlansThem() {
        int overflowing = 0;
        for (int s = 0; s < RANDOM_STEPS; s++) {
            RoutingStep step = RoutingStep.random(s, 256);
            RoutingPlan expected = RoutingPlan.cpu(step, step.probabilities);
            library.plan(step, step.probabilities, 1).assertSameAs(expected, step);
            library.plan(step, step.probabilities, THREADS[s % THREADS.length]).assertSameAs(expected, step + ", threads");
            for (int g = 0; g < step.groups; g++) {
                overflowing += expected.stats()[g * RoutingPlan.GROUP_STATS + 1] + expected.stats()[g * RoutingPlan.GROUP_STATS + 2];
            }
        }
        // the random steps do reach the rules that matter: many assignments dropped or rerouted
        assertThat(overflowing).isGreaterThan(10 * RANDOM_STEPS);
    }

    @Test
    void craftedStepsArePlannedBitForBitAsTheCpuPlansThem() {
        SplittableRandom r = new SplittableRandom(99);
        for (OverflowMode mode : OverflowMode.values()) {
            for (boolean normalize : new boolean[] {true, false}) {
                for (int experts : RoutingStep.EXPERT_COUNTS) {
                    for (int k : RoutingStep.TOP_K) {
                        for (double gamma : new double[] {0.01, 0.5, 1.0, 2.0}) {
                            for (int style = 0; style < 6; style++) {
                                for (int tokens : new int[] {1, 2, 7, 64, 256}) {
                                    DispatchConfig batch = new DispatchConfig(mode, gamma, CapacityScope.BATCH, 64, normalize);
                                    check(RoutingStep.of(r, experts, k, tokens, batch, 4, style, "crafted"));
                                }
                            }
                        }
                    }
                }
                // k = E: nothing is left to reroute to
                DispatchConfig config = new DispatchConfig(mode, 0.5, CapacityScope.BATCH, 64, normalize);
                check(RoutingStep.of(r, 4, 4, 16, config, 1, 1, "k = E"));
                check(RoutingStep.of(r, 8, 8, 33, config, 1, 4, "k = E"));
            }
        }
    }

    @Test
    void allTokensOnOneExpertKeepTheEarliestAndRerouteTheRestInPositionOrder() {
        for (OverflowMode mode : OverflowMode.values()) {
            for (int tokens : new int[] {1, 5, 64, 256}) {
                // identical rows: expert 3 first for everyone, equal scores everywhere, so positions decide
                int experts = 16;
                float[] p = new float[tokens * experts];
                for (int t = 0; t < tokens; t++) {
                    for (int e = 0; e < experts; e++) {
                        p[t * experts + e] = e == 3 ? 0.5f : e % 4 == 0 ? 0.125f : 1f / 64;
                    }
                }
                DispatchConfig config = new DispatchConfig(mode, 1.0, CapacityScope.BATCH, 64, true);
                check(RoutingStep.ofProbabilities(p, experts, 2, config, 8, "one expert for all, " + tokens + " tokens"));
            }
        }
    }

    @Test
    void theHeadersWorkedExampleHasTheListsItDocuments() {
        float[] p = {
            .50f, .30f, .15f, .05f,
            .40f, .35f, .05f, .20f,
            .45f, .10f, .25f, .20f,
            .40f, .30f, .10f, .20f};
        DispatchConfig config = new DispatchConfig(OverflowMode.REROUTE, 1.0, CapacityScope.SEQUENCE, 64, true);
        RoutingStep step = RoutingStep.ofProbabilities(p, 4, 2, config, 4, "worked example");
        RoutingPlan plan = library.plan(step, p, 4);
        plan.assertSameAs(RoutingPlan.cpu(step, p), step);
        assertThat(plan.experts()).containsExactly(0, 1, 3, 1, 0, 2, 3, 2);
        assertThat(plan.counts()).containsExactly(2, 2, 2, 2);
        assertThat(plan.offsets()).containsExactly(0, 4, 8, 12, 16);
        assertThat(plan.listRows()).containsExactly(0, 2, -1, -1, 0, 1, -1, -1, 2, 3, -1, -1, 1, 3, -1, -1);
        float[] w = plan.listWeights();
        float[] documented = {.625f, .643f, 0, 0, .375f, .636f, 0, 0, .357f, .333f, 0, 0, .364f, .667f, 0, 0};
        for (int i = 0; i < w.length; i++) {
            assertThat(w[i]).as("list weight " + i).isCloseTo(documented[i], org.assertj.core.data.Offset.offset(5e-4f));
        }
        assertThat(plan.stats()).containsExactly(2, 0, 3, 2, 4);
    }

    @Test
    void routerSoftmaxIsWithinAnUlpOfTheCpusAndItsTopKIsTheCpus() {
        long values = 0;
        long exact = 0;
        for (int s = 0; s < ROUTED_STEPS; s++) {
            RoutingStep step = RoutingStep.random(1_000_000 + s, 256);
            int t = step.tokens;
            int e = step.experts;
            int k = step.k;
            float[] probabilities = new float[t * e];
            int[] topK = new int[t * k];
            float[] weights = new float[t * k];
            library.route(step.logits, t, e, k, step.config.normalizeTopK(), probabilities, topK, weights);
            float[] cpu = RoutingStep.softmax(step.logits, t, e);
            exact += RoutingPlan.probabilitiesWithinAnUlp(probabilities, cpu, step);
            values += cpu.length;
            // top-k and weights from the same probabilities: exactly the CPU's dropless routing
            int[] cpuExperts = new int[t * k];
            float[] cpuWeights = new float[t * k];
            float[] row = new float[e];
            for (int i = 0; i < t; i++) {
                System.arraycopy(probabilities, i * e, row, 0, e);
                RouterSelection.topK(row, e, k, step.config.normalizeTopK(), cpuExperts, cpuWeights, i * k);
            }
            assertThat(topK).as("%s: top-k", step).containsExactly(cpuExperts);
            RoutingPlan.assertSameBits(weights, cpuWeights, step + ": top-k weights");
        }
        assertThat(values).isGreaterThan(100_000);
        // where the libraries' double exp agree in the rounding to float, which is nearly always
        assertThat((double) exact / values).as("bit-identical probabilities").isGreaterThan(0.999);
    }

    /**
     * DeepSeek-V3's routing and its kin on the device: sigmoid (or softmax) scores within an ulp of
     * {@link ExpertSelector#scores}, and from the same scores the same experts and bit-identical
     * weights as {@link ExpertSelector#select} and the host's weight scale give, over random rules
     * (1 to 8 groups, any number used, with and without a bias, renormalized or not, scaled or not)
     * and steps whose logits and biases come from a handful of values, so that equal scores, equal
     * ranks and equal group scores are common.
     */
    @Test
    void routingRulesChooseAndWeighBitForBitAsTheHostsSelector() {
        SplittableRandom random = new SplittableRandom(2026);
        long values = 0;
        long exact = 0;
        long rankedTokens = 0;
        long movedByRanking = 0;
        for (int s = 0; s < ROUTED_STEPS; s++) {
            int groups = new int[] {1, 2, 4, 8}[random.nextInt(4)];
            int experts = groups * (1 + random.nextInt(Math.max(1, 64 / groups)));
            int used = 1 + random.nextInt(groups);
            int k = 1 + random.nextInt(Math.min(8, experts));
            boolean sigmoid = random.nextInt(4) != 0;
            boolean normalize = random.nextBoolean();
            float scale = new float[] {1f, 2.5f, 2.826f, 16f}[random.nextInt(4)];
            boolean coarse = random.nextInt(3) == 0;
            float[] bias = random.nextInt(5) == 0 ? null : new float[experts];
            if (bias != null) {
                for (int e = 0; e < experts; e++) {
                    bias[e] = coarse ? 0.125f * random.nextInt(3) : (float) (random.nextGaussian() * 0.3);
                }
            }
            int tokens = 1 + random.nextInt(16);
            float[] logits = new float[tokens * experts];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = coarse ? 0.5f * (random.nextInt(5) - 2) : (float) (random.nextGaussian() * 2);
            }
            float[] scores = new float[tokens * experts];
            int[] chosen = new int[tokens * k];
            float[] weights = new float[tokens * k];
            library.routeRule(logits, bias, tokens, experts, k, sigmoid, groups, used, normalize, scale, scores, chosen,
                    weights);
            ExpertRouting rule = new ExpertRouting(sigmoid ? ExpertRouting.Gating.SIGMOID : ExpertRouting.Gating.SOFTMAX,
                    groups, used, scale);
            String what = "step " + s + ": " + rule + ", " + experts + " experts, top-" + k + (bias != null ? ", biased" : "")
                    + (normalize ? ", renormalized" : "");
            ExpertSelector selector = new ExpertSelector(rule, experts);
            float[] row = new float[experts];
            float[] cpuScores = new float[tokens * experts];
            float[] deviceRow = new float[experts];
            int[] cpuChosen = new int[tokens * k];
            float[] cpuWeights = new float[tokens * k];
            int[] plain = new int[k];
            float[] plainWeights = new float[k];
            for (int t = 0; t < tokens; t++) {
                System.arraycopy(logits, t * experts, row, 0, experts);
                float[] cpuRow = new float[experts];
                selector.scores(row, cpuRow);
                System.arraycopy(cpuRow, 0, cpuScores, t * experts, experts);
                // the choice from the device's own scores: the same experts, the same weights
                System.arraycopy(scores, t * experts, deviceRow, 0, experts);
                selector.select(deviceRow, bias, k, normalize, cpuChosen, cpuWeights, t * k);
                for (int j = 0; j < k; j++) {
                    cpuWeights[t * k + j] *= scale;
                }
                if (bias != null || used < groups) {
                    rankedTokens++;
                    RouterSelection.topK(deviceRow, experts, k, false, plain, plainWeights, 0);
                    for (int j = 0; j < k; j++) {
                        if (plain[j] != cpuChosen[t * k + j]) {
                            movedByRanking++;
                            break;
                        }
                    }
                }
            }
            exact += RoutingPlan.probabilitiesWithinAnUlp(scores, cpuScores, what);
            values += scores.length;
            assertThat(chosen).as("%s: chosen experts", what).containsExactly(cpuChosen);
            RoutingPlan.assertSameBits(weights, cpuWeights, what + ": weights");
        }
        assertThat(values).isGreaterThan(50_000);
        assertThat((double) exact / values).as("bit-identical scores").isGreaterThan(0.999);
        assertThat((double) movedByRanking / rankedTokens).as("ranked tokens whose experts differ from the best scores'")
                .isGreaterThan(0.2);
    }

    private static void check(RoutingStep step) {
        RoutingPlan expected = RoutingPlan.cpu(step, step.probabilities);
        library.plan(step, step.probabilities, 1).assertSameAs(expected, step);
        library.plan(step, step.probabilities, 32).assertSameAs(expected, step + ", 32 threads");
    }
}
