package dev.switchyard.engine.moe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.generate.GenerationRequest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Capacity limits bite where they should and only there: at half capacity prompt windows overflow
 * ({@code drop} drops, {@code reroute} reroutes) and the output moves away from dropless; decode
 * tokens, each a group of its own in sequence scope, never overflow, however small the capacity
 * factor, so a run of one-token prompts generates exactly the dropless output. In batch scope the
 * same decode tokens compete with each other and do overflow (the control).
 */
class OverflowOnlyInPromptWindowsTest {

    private static List<GenerationRequest> prompts() {
        SplittableRandom random = new SplittableRandom(77);
        List<GenerationRequest> list = new ArrayList<>();
        list.add(NeedleTrials.needle());
        for (int i = 0; i < 5; i++) {
            list.add(new GenerationRequest(DispatchRuns.randomPrompt(random, 16 + random.nextInt(64)),
                    DispatchRuns.greedy(), 4));
        }
        return list;
    }

    /** Six one-token prompts that then generate 60 tokens each. */
    private static List<GenerationRequest> decodeOnly() {
        SplittableRandom random = new SplittableRandom(88);
        List<GenerationRequest> list = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            list.add(new GenerationRequest(DispatchRuns.randomPrompt(random, 1),
                    i % 2 == 0 ? DispatchRuns.greedy() : DispatchRuns.seeded(300 + i), 60));
        }
        return list;
    }

    @ParameterizedTest(name = "{0}, {1} scope")
    @CsvSource({"DROP, SEQUENCE", "REROUTE, SEQUENCE", "DROP, BATCH", "REROUTE, BATCH"})
    void promptWindowsOverflowAtHalfCapacity(OverflowMode mode, CapacityScope scope) throws Exception {
        List<GenerationRequest> requests = prompts();
        DispatchRuns.Run limited = DispatchRuns.run(DispatchRuns.config(mode, 0.5, scope), requests, 64);
        DispatchRuns.Run dropless = DispatchRuns.run(DispatchRuns.config(OverflowMode.NONE, 1, scope), requests, 64);

        if (mode == OverflowMode.DROP) {
            assertThat(limited.stats().dropped()).as("dropped").isPositive();
            assertThat(limited.stats().rerouted()).as("rerouted").isZero();
        } else {
            assertThat(limited.stats().rerouted()).as("rerouted").isPositive();
        }
        assertThat(limited.stats().loadRatio()).isLessThan(limited.stats().droplessLoadRatio());
        assertThat(limited.result(0).logprobs()).as("the needle's logprobs at half capacity")
                .isNotEqualTo(dropless.result(0).logprobs());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = OverflowMode.class, names = {"DROP", "REROUTE"})
    void decodeTokensNeverOverflowInSequenceScope(OverflowMode mode) throws Exception {
        List<GenerationRequest> requests = decodeOnly();
        DispatchRuns.Run limited = DispatchRuns.run(DispatchRuns.config(mode, 0.01, CapacityScope.SEQUENCE), requests, 16);
        DispatchRuns.Run dropless = DispatchRuns.run(DispatchRuns.config(OverflowMode.NONE, 1, CapacityScope.SEQUENCE),
                requests, 16);

        long tokens = requests.stream().mapToLong(r -> r.prompt().length + r.maxTokens() - 1).sum();
        assertThat(limited.stats().tokens()).as("tokens planned").isEqualTo(DispatchRuns.LAYERS * tokens);
        assertThat(limited.stats().groups()).as("groups: one per token and layer").isEqualTo(limited.stats().tokens());
        assertThat(limited.stats().dropped()).as("dropped").isZero();
        assertThat(limited.stats().rerouted()).as("rerouted").isZero();
        SoftAssertions soft = new SoftAssertions();
        for (int i = 0; i < requests.size(); i++) {
            soft.assertThat(limited.result(i).tokens()).as("request %d", i).hasSize(60);
            DispatchRuns.assertSameOutcome(soft, "request " + i, limited, i, dropless, i);
            soft.assertThat(limited.routing().get(i).values()).as("request %d runs k experts at every token", i)
                    .hasSize((int) (DispatchRuns.LAYERS * (requests.get(i).prompt().length + requests.get(i).maxTokens() - 1)))
                    .allSatisfy(a -> assertThat(a.split(" ")).hasSize(DispatchRuns.TOP_K));
        }
        soft.assertAll();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = OverflowMode.class, names = {"DROP", "REROUTE"})
    void decodeTokensOfDifferentRequestsCompeteInBatchScope(OverflowMode mode) throws Exception {
        List<GenerationRequest> requests = decodeOnly();
        DispatchRuns.Run limited = DispatchRuns.run(DispatchRuns.config(mode, 0.5, CapacityScope.BATCH), requests, 16);
        DispatchRuns.Run dropless = DispatchRuns.run(DispatchRuns.config(OverflowMode.NONE, 1, CapacityScope.BATCH),
                requests, 16);

        assertThat(limited.stats().dropped() + limited.stats().rerouted()).as("overflowing assignments").isPositive();
        boolean anyChanged = false;
        for (int i = 0; i < requests.size(); i++) {
            anyChanged |= !Arrays.equals(limited.result(i).logprobs(), dropless.result(i).logprobs());
        }
        assertThat(anyChanged).as("some request's output changed by its neighbours' decode tokens").isTrue();
    }
}
