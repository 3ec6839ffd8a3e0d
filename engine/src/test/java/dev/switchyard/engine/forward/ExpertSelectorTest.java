package dev.switchyard.engine.forward;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.model.ExpertRouting;
import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ExpertSelectorTest {

    private static final int EXPERTS = 16;
    private static final ExpertRouting V3 = new ExpertRouting(ExpertRouting.Gating.SIGMOID, 4, 2, 2.5);

    private static float[] random(SplittableRandom r, double scale) {
        float[] v = new float[EXPERTS];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (scale * r.nextGaussian());
        }
        return v;
    }

    @Test
    void withoutBiasOrGroupsItIsTheSoftmaxTopK() {
        SplittableRandom r = new SplittableRandom(1);
        ExpertSelector selector = new ExpertSelector(ExpertRouting.SOFTMAX, EXPERTS);
        for (int trial = 0; trial < 200; trial++) {
            float[] logits = random(r, 2);
            float[] scores = new float[EXPERTS];
            selector.scores(logits, scores);
            float[] expected = new float[EXPERTS];
            RouterSelection.softmax(logits, EXPERTS, expected);
            assertThat(scores).containsExactly(expected);
            int[] chosen = new int[4];
            float[] weights = new float[4];
            int[] chosenRef = new int[4];
            float[] weightsRef = new float[4];
            selector.select(scores, null, 4, true, chosen, weights, 0);
            RouterSelection.topK(expected, EXPERTS, 4, true, chosenRef, weightsRef, 0);
            assertThat(chosen).containsExactly(chosenRef);
            assertThat(weights).containsExactly(weightsRef);
        }
    }

    @Test
    void sigmoidScoresAreEachExpertsOwn() {
        ExpertSelector selector = new ExpertSelector(V3, EXPERTS);
        float[] logits = new float[EXPERTS];
        logits[3] = 2f;
        logits[7] = -1f;
        float[] scores = new float[EXPERTS];
        selector.scores(logits, scores);
        assertThat(scores[0]).isEqualTo(0.5f);
        assertThat(scores[3]).isEqualTo((float) (1 / (1 + Math.exp(-2))));
        assertThat(scores[7]).isEqualTo((float) (1 / (1 + Math.exp(1))));
    }

    /**
     * Against a brute force written from the definition: groups scored by their two best biased
     * values, the best two of four kept, the top-k of the kept experts by biased value, weighted by
     * unbiased scores summing to one.
     */
    @Test
    void biasRanksGroupsLimitAndScoresWeigh() {
        SplittableRandom r = new SplittableRandom(2);
        ExpertSelector selector = new ExpertSelector(V3, EXPERTS);
        int k = 3;
        int differentFromUnbiased = 0;
        for (int trial = 0; trial < 500; trial++) {
            float[] scores = new float[EXPERTS];
            selector.scores(random(r, 2), scores);
            float[] bias = random(r, 0.3);
            int[] chosen = new int[k];
            float[] weights = new float[k];
            selector.select(scores, bias, k, true, chosen, weights, 0);

            double[] ranked = new double[EXPERTS];
            for (int e = 0; e < EXPERTS; e++) {
                ranked[e] = scores[e] + bias[e];
            }
            Integer[] groups = {0, 1, 2, 3};
            Arrays.sort(groups, Comparator.comparingDouble(g -> -twoBest(ranked, g)));
            int[] expected = IntStream.range(0, EXPERTS)
                    .filter(e -> e / 4 == groups[0] || e / 4 == groups[1]).boxed()
                    .sorted(Comparator.comparingDouble(e -> -ranked[e])).limit(k).mapToInt(Integer::intValue).toArray();
            assertThat(chosen).as("trial %d", trial).containsExactly(expected);
            double sum = 0;
            for (int e : expected) {
                sum += scores[e];
            }
            for (int j = 0; j < k; j++) {
                assertThat(weights[j]).isEqualTo((float) (scores[expected[j]] / sum));
            }
            int[] unbiased = new int[k];
            new ExpertSelector(ExpertRouting.SOFTMAX, EXPERTS).select(scores, null, k, true, unbiased, new float[k], 0);
            if (!Arrays.equals(unbiased, chosen)) {
                differentFromUnbiased++;
            }
        }
        assertThat(differentFromUnbiased).as("the bias and the group limit change choices").isGreaterThan(100);
    }

    @Test
    void aGuessWiderThanTheKeptGroupsTakesThemFirst() {
        SplittableRandom r = new SplittableRandom(3);
        ExpertSelector selector = new ExpertSelector(V3, EXPERTS);
        float[] scores = new float[EXPERTS];
        selector.scores(random(r, 2), scores);
        int[] chosen = new int[12];
        selector.select(scores, null, 12, false, chosen, new float[12], 0);
        assertThat(chosen).doesNotHaveDuplicates();
        int[] firstEight = Arrays.copyOf(chosen, 8);
        long groupsInFirstEight = Arrays.stream(firstEight).map(e -> e / 4).distinct().count();
        assertThat(groupsInFirstEight).as("the two kept groups' eight experts come first").isEqualTo(2);
    }

    @Test
    void renormalizingNearZeroScoresDividesByLlamaCppsFloor() {
        ExpertSelector selector = new ExpertSelector(V3, EXPERTS);
        float[] scores = new float[EXPERTS];
        Arrays.fill(scores, 1e-7f);
        scores[0] = 2e-7f;
        int[] chosen = new int[2];
        float[] weights = new float[2];
        selector.select(scores, new float[EXPERTS], 2, true, chosen, weights, 0);
        assertThat(chosen[0]).isEqualTo(0);
        assertThat(weights[0]).isEqualTo((float) (2e-7f / 6.103515625e-5));
    }

    private static double twoBest(double[] ranked, int group) {
        double[] members = Arrays.copyOfRange(ranked, group * 4, group * 4 + 4);
        Arrays.sort(members);
        return members[3] + members[2];
    }
}
