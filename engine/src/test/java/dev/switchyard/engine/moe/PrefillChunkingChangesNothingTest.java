package dev.switchyard.engine.moe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.generate.GenerationRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * In sequence scope the step size, and so how the scheduler chunks each prompt and which requests
 * share a step, changes no request's tokens, logprobs or routing: prefill chunks end on window
 * boundaries, so every window is planned whole. Checked against each request run alone with its whole
 * prompt in one step, for steps of 16, 32, 48, 64 and 128 tokens (multiples of the window of 16), of
 * 24 and 40 (not multiples: chunks still stop at window boundaries), and with fewer sequence slots
 * than requests, so that requests wait and reuse slots.
 */
class PrefillChunkingChangesNothingTest {

    /** Prompt lengths around the window's multiples, and a few long ones. */
    private static final int[] LENGTHS = {1, 15, 16, 17, 31, 32, 33, 40, 47, 64, 80, 90};

    private static List<GenerationRequest> requests() {
        SplittableRandom random = new SplittableRandom(55);
        List<GenerationRequest> list = new ArrayList<>();
        for (int i = 0; i < LENGTHS.length; i++) {
            int[] prompt = DispatchRuns.randomPrompt(random, LENGTHS[i]);
            if (i % 3 == 0) {
                System.arraycopy(NeedleTrials.NEEDLE, 0, prompt, 0, Math.min(prompt.length, NeedleTrials.NEEDLE.length));
            }
            list.add(new GenerationRequest(prompt,
                    i % 2 == 0 ? DispatchRuns.greedy() : DispatchRuns.seeded(900 + i), DispatchRuns.GENERATED));
        }
        return list;
    }

    @ParameterizedTest(name = "{0}, gamma {1}")
    @CsvSource({"DROP, 0.5", "REROUTE, 0.5", "DROP, 1.0"})
    void everyStepSizeGivesEachRequestItsOutcomeAlone(OverflowMode mode, double gamma) throws Exception {
        DispatchConfig config = DispatchRuns.config(mode, gamma, CapacityScope.SEQUENCE);
        List<GenerationRequest> requests = requests();
        List<DispatchRuns.Run> alone = new ArrayList<>();
        long overflowAlone = 0;
        for (GenerationRequest request : requests) {
            DispatchRuns.Run run = DispatchRuns.run(config, List.of(request), 128);
            alone.add(run);
            overflowAlone += run.stats().dropped() + run.stats().rerouted();
        }
        assertThat(overflowAlone).as("assignments that overflow with each request alone").isPositive();

        SoftAssertions soft = new SoftAssertions();
        int[][] shapes = {{16, 12}, {32, 12}, {48, 12}, {64, 12}, {128, 12}, {24, 12}, {40, 12}, {16, 4}, {32, 5}};
        for (int[] shape : shapes) {
            DispatchRuns.Run batched = DispatchRuns.run(config, requests, shape[0], shape[1]);
            for (int i = 0; i < requests.size(); i++) {
                DispatchRuns.assertSameOutcome(soft, "steps of " + shape[0] + ", " + shape[1] + " slots, request " + i
                        + " (prompt of " + LENGTHS[i] + ")", batched, i, alone.get(i), 0);
            }
        }
        soft.assertAll();
    }
}
