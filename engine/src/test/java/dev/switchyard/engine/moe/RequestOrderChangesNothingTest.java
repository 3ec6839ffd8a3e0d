package dev.switchyard.engine.moe;

import dev.switchyard.engine.generate.GenerationRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * In sequence scope the order requests are submitted in (and so their sequence slots, their rows in
 * each step and which prompt chunks share a step) changes no request's tokens, logprobs or routing.
 */
class RequestOrderChangesNothingTest {

    private static List<GenerationRequest> requests() {
        SplittableRandom random = new SplittableRandom(33);
        List<GenerationRequest> list = new ArrayList<>();
        list.add(NeedleTrials.needle());
        list.add(NeedleTrials.needle());
        int[] prefix = DispatchRuns.randomPrompt(random, 70);
        System.arraycopy(NeedleTrials.NEEDLE, 0, prefix, 0, 24);
        list.add(new GenerationRequest(prefix, DispatchRuns.greedy(), DispatchRuns.GENERATED));
        for (int i = 0; i < 9; i++) {
            list.add(new GenerationRequest(DispatchRuns.randomPrompt(random, 1 + random.nextInt(90)),
                    i % 2 == 0 ? DispatchRuns.greedy() : DispatchRuns.seeded(700 + i), 1 + random.nextInt(16)));
        }
        return list;
    }

    @ParameterizedTest(name = "{0}, gamma {1}")
    @CsvSource({"DROP, 0.5", "REROUTE, 0.5", "REROUTE, 1.0"})
    void permutedSubmissionGivesEachRequestTheSameOutcome(OverflowMode mode, double gamma) throws Exception {
        DispatchConfig config = DispatchRuns.config(mode, gamma, CapacityScope.SEQUENCE);
        List<GenerationRequest> requests = requests();
        DispatchRuns.Run original = DispatchRuns.run(config, requests, 32);

        SoftAssertions soft = new SoftAssertions();
        SplittableRandom random = new SplittableRandom(mode.ordinal() * 10L + (long) (gamma * 4));
        for (int permutation = 0; permutation < 3; permutation++) {
            int[] order = IntStream.range(0, requests.size()).toArray(); // order[i]: original index of submitted i
            if (permutation == 0) {
                for (int i = 0; i < order.length; i++) {
                    order[i] = order.length - 1 - i;
                }
            } else {
                for (int i = order.length - 1; i > 0; i--) {
                    int j = random.nextInt(i + 1);
                    int t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
            }
            List<GenerationRequest> permuted = IntStream.of(order).mapToObj(requests::get).toList();
            DispatchRuns.Run run = DispatchRuns.run(config, permuted, 32);
            for (int i = 0; i < order.length; i++) {
                DispatchRuns.assertSameOutcome(soft, "request " + order[i] + " submitted at " + i + " of order "
                        + java.util.Arrays.toString(order), run, i, original, order[i]);
            }
        }
        soft.assertAll();
    }
}
