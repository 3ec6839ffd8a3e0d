package dev.switchyard.engine.moe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.generate.GenerationResult;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Capacity-aware dispatch in sequence scope isolates requests: a "needle" request's tokens, logprobs
 * and per-layer expert routing are bit for bit the same whether it runs alone or in a batch of 2..16
 * with fillers, adversarial ones included (clones of its prompt, its prefix, its tokens reshuffled,
 * tokens that prefer its experts), whatever its place in the batch and the step size. The control
 * runs the same trials in batch scope, where fillers compete for the needle's capacity, and requires
 * that they do change the needle: the experiment can fail.
 *
 * <p>Routing is observed at the backend seam ({@link DispatchRuns}). Recompute after preemption is not
 * covered: the generator does not preempt yet.
 */
class NeedleIsolationTest {

    private static final int TRIALS = 8;

    @ParameterizedTest(name = "{0}, gamma {1}")
    @CsvSource({"DROP, 1.0", "DROP, 0.5", "REROUTE, 1.0", "REROUTE, 0.5"})
    void needleRunsIdenticallyAloneAndBesideAnyFillersInSequenceScope(OverflowMode mode, double gamma) throws Exception {
        DispatchConfig config = DispatchRuns.config(mode, gamma, CapacityScope.SEQUENCE);
        DispatchRuns.Run alone = DispatchRuns.run(config, List.of(NeedleTrials.needle()), 64);
        GenerationResult expected = alone.result(0);
        TreeMap<Long, String> expectedRouting = alone.routing().getFirst();

        // not vacuous: the needle's own prompt windows overflow, and the routing is observed
        assertThat(expected.tokens()).hasSize(DispatchRuns.GENERATED);
        if (mode == OverflowMode.DROP) {
            assertThat(alone.stats().dropped()).as("assignments the needle drops alone").isPositive();
        } else {
            assertThat(alone.stats().rerouted()).as("assignments the needle reroutes alone").isPositive();
        }
        int full = DispatchRuns.LAYERS * (NeedleTrials.NEEDLE.length + DispatchRuns.GENERATED - 1) * DispatchRuns.TOP_K;
        if (mode == OverflowMode.DROP) {
            assertThat(alone.assignmentsRun(0)).as("routed assignments the needle runs alone").isPositive().isLessThan(full);
        } else {
            assertThat(alone.assignmentsRun(0)).as("routed assignments the needle runs alone").isPositive().isLessThanOrEqualTo(full);
        }
        // decode tokens are groups of one: each runs its full top-k in every layer
        for (int layer = 0; layer < DispatchRuns.LAYERS; layer++) {
            for (int p = NeedleTrials.NEEDLE.length; p < NeedleTrials.NEEDLE.length + DispatchRuns.GENERATED - 1; p++) {
                assertThat(expectedRouting.get((long) layer << 32 | p)).as("layer %d, decode position %d", layer, p)
                        .isNotNull().satisfies(s -> assertThat(s.split(" ")).hasSize(DispatchRuns.TOP_K));
            }
        }

        SoftAssertions soft = new SoftAssertions();
        for (long seed = 0; seed < TRIALS; seed++) {
            NeedleTrials.Trial trial = NeedleTrials.trial(seed);
            DispatchRuns.Run batched = DispatchRuns.run(config, trial.requests(), trial.stepTokens());
            GenerationResult actual = batched.result(trial.needle());
            soft.assertThat(actual.tokens()).as("%s: needle tokens", trial).containsExactly(expected.tokens());
            soft.assertThat(actual.logprobs()).as("%s: needle logprobs", trial).containsExactly(expected.logprobs());
            soft.assertThat(batched.routing().get(trial.needle())).as("%s: needle routing", trial)
                    .isEqualTo(expectedRouting);
        }
        soft.assertAll();
    }

    @ParameterizedTest(name = "{0}, gamma {1}")
    @CsvSource({"DROP, 1.0", "DROP, 0.5", "REROUTE, 1.0", "REROUTE, 0.5"})
    void fillersChangeTheNeedleInBatchScope(OverflowMode mode, double gamma) throws Exception {
        DispatchConfig config = DispatchRuns.config(mode, gamma, CapacityScope.BATCH);
        // alone with the trial's own step size, so that only the fillers differ
        Map<Integer, DispatchRuns.Run> alone = new HashMap<>();
        int changedOutput = 0;
        int changedRouting = 0;
        StringBuilder changed = new StringBuilder();
        for (long seed = 0; seed < TRIALS; seed++) {
            NeedleTrials.Trial trial = NeedleTrials.trial(seed);
            DispatchRuns.Run reference = alone.get(trial.stepTokens());
            if (reference == null) {
                reference = DispatchRuns.run(config, List.of(NeedleTrials.needle()), trial.stepTokens());
                alone.put(trial.stepTokens(), reference);
            }
            DispatchRuns.Run batched = DispatchRuns.run(config, trial.requests(), trial.stepTokens());
            GenerationResult actual = batched.result(trial.needle());
            GenerationResult expected = reference.result(0);
            if (!Arrays.equals(actual.tokens(), expected.tokens()) || !Arrays.equals(actual.logprobs(), expected.logprobs())) {
                changedOutput++;
                changed.append(' ').append(seed);
            }
            if (!batched.routing().get(trial.needle()).equals(reference.routing().getFirst())) {
                changedRouting++;
            }
        }
        System.out.printf("batch scope, %s, gamma %s: fillers changed the needle's output in %d of %d trials (%s),"
                + " its routing in %d%n", mode, gamma, changedOutput, TRIALS, changed.toString().strip(), changedRouting);
        assertThat(changedOutput).as("trials in which fillers changed the needle's tokens or logprobs").isPositive();
        assertThat(changedRouting).as("trials in which fillers changed the needle's routing").isGreaterThanOrEqualTo(changedOutput);
    }
}
