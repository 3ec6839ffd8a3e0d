package dev.switchyard.engine.moe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.generate.GenerationRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * With a capacity factor of at least {@code E / k} every expert can take a whole group
 * ({@code C >= T}), so nothing overflows: {@code drop} and {@code reroute}, in either scope, give
 * exactly the tokens, logprobs and routing of dropless dispatch ({@code --overflow none}), even though
 * only the capacity-limited runs cut their prefill chunks at window boundaries.
 */
class LargeCapacityIsDroplessTest {

    private static final int STEP_TOKENS = 40;
    private static List<GenerationRequest> requests;
    private static DispatchRuns.Run dropless;

    @BeforeAll
    static void runDropless() throws Exception {
        SplittableRandom random = new SplittableRandom(21);
        requests = new ArrayList<>();
        requests.add(NeedleTrials.needle());
        requests.add(NeedleTrials.needle());
        for (int i = 0; i < 8; i++) {
            requests.add(new GenerationRequest(DispatchRuns.randomPrompt(random, 1 + random.nextInt(90)),
                    i % 2 == 0 ? DispatchRuns.greedy() : DispatchRuns.seeded(500 + i), DispatchRuns.GENERATED));
        }
        dropless = DispatchRuns.run(DispatchRuns.config(OverflowMode.NONE, 1, CapacityScope.SEQUENCE), requests, STEP_TOKENS);
        assertThat(dropless.stats().groups()).as("dropless dispatch plans no groups").isZero();
    }

    @ParameterizedTest(name = "{0}, {1} scope, gamma {2}")
    @CsvSource({
            "DROP, SEQUENCE, 4.0", "REROUTE, SEQUENCE, 4.0", "DROP, BATCH, 4.0", "REROUTE, BATCH, 4.0",
            "DROP, SEQUENCE, 1000", "REROUTE, BATCH, 1000"})
    void capacityOfAtLeastEOverKReproducesDroplessExactly(OverflowMode mode, CapacityScope scope, double gamma)
            throws Exception {
        assertThat(gamma).isGreaterThanOrEqualTo((double) DispatchRuns.EXPERTS / DispatchRuns.TOP_K);
        DispatchRuns.Run limited = DispatchRuns.run(DispatchRuns.config(mode, gamma, scope), requests, STEP_TOKENS);

        assertThat(limited.stats().groups()).as("groups planned").isPositive();
        assertThat(limited.stats().dropped()).as("dropped").isZero();
        assertThat(limited.stats().rerouted()).as("rerouted").isZero();
        assertThat(limited.stats().loadRatio()).isEqualTo(limited.stats().droplessLoadRatio());
        SoftAssertions soft = new SoftAssertions();
        for (int i = 0; i < requests.size(); i++) {
            DispatchRuns.assertSameOutcome(soft, "request " + i, limited, i, dropless, i);
        }
        soft.assertAll();
    }
}
