package dev.switchyard.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Top-k, top-p and min-p keep exactly the tokens their definitions keep. */
class TruncationFiltersTest {

    /** Probabilities 0.15, 0.5, 0.1, 0.25: sorted, token 1, 3, 0, 2. */
    private static final float[] FOUR = Logits.ofProbabilities(0.15, 0.5, 0.1, 0.25);

    private static SamplingParams.Builder params() {
        return SamplingParams.builder();
    }

    private static int[] candidates(SamplingParams params, float[] logits) {
        return new Sampler(params, logits.length).candidates(logits);
    }

    /** Samples with 200 seeds, 10 tokens each: the set of tokens that ever come out. */
    private static Set<Integer> sampledTokens(SamplingParams params, float[] logits) {
        Set<Integer> seen = new TreeSet<>();
        for (long seed = 0; seed < 200; seed++) {
            Sampler s = new Sampler(params.toBuilder().seed(seed).build(), logits.length);
            for (int i = 0; i < 10; i++) {
                seen.add(s.sample(logits));
            }
        }
        return seen;
    }

    private static void assertKeepsExactly(SamplingParams params, float[] logits, Integer... expected) {
        assertThat(candidates(params, logits)).as("candidate set").containsExactly(
                Arrays.stream(expected).sorted().mapToInt(Integer::intValue).toArray());
        assertThat(sampledTokens(params, logits)).as("sampled tokens").containsExactlyInAnyOrder(expected);
    }

    @Test
    void noFilterKeepsEveryToken() {
        assertThat(candidates(params().build(), FOUR)).containsExactly(0, 1, 2, 3);
    }

    @Test
    void topKKeepsTheKLargestLogits() {
        float[] logits = {1, 5, 3, 4, 2, 0};
        assertKeepsExactly(params().topK(3).build(), logits, 1, 3, 2);
        assertKeepsExactly(params().topK(1).build(), logits, 1);
        assertThat(candidates(params().topK(6).build(), logits)).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(candidates(params().topK(100).build(), logits)).containsExactly(0, 1, 2, 3, 4, 5);
    }

    @Test
    void topKBreaksTiesTowardsLowerIds() {
        float[] logits = {2, 7, 1, 7, 7, 0};
        assertThat(candidates(params().topK(1).build(), logits)).containsExactly(1);
        assertThat(candidates(params().topK(2).build(), logits)).containsExactly(1, 3);
    }

    @Test
    void topPKeepsTheShortestMostProbablePrefixReachingP() {
        assertKeepsExactly(params().topP(0.4).build(), FOUR, 1);           // 0.5
        assertKeepsExactly(params().topP(0.7).build(), FOUR, 1, 3);        // 0.75
        assertKeepsExactly(params().topP(0.8).build(), FOUR, 1, 3, 0);     // 0.9
        assertKeepsExactly(params().topP(0.95).build(), FOUR, 1, 3, 0, 2); // 1.0
    }

    @Test
    void topPBreaksTiesTowardsLowerIds() {
        // Ten equal tokens: 0.1 each, so 0.35 needs four of them, the four lowest ids.
        assertThat(candidates(params().topP(0.35).build(), Logits.flat(10))).containsExactly(0, 1, 2, 3);
        assertThat(candidates(params().topK(8).topP(0.35).build(), Logits.flat(10))).containsExactly(0, 1, 2);
    }

    @Test
    void topPRenormalizesOverTheTopKSurvivors() {
        // Over all four, 0.8 needs 0.5 + 0.25 + 0.15; over the top three (0.9 in all) 0.5 + 0.25 = 0.83 is enough.
        assertKeepsExactly(params().topP(0.8).build(), FOUR, 1, 3, 0);
        assertKeepsExactly(params().topK(3).topP(0.8).build(), FOUR, 1, 3);
    }

    @Test
    void filtersSeeTheTemperatureOneDistributionAsInLlamaCpp() {
        // At temperature 5 first, 0.7 would need three tokens; the filters run before temperature.
        assertKeepsExactly(params().topP(0.7).temperature(5).build(), FOUR, 1, 3);
        assertKeepsExactly(params().minP(0.4).temperature(3).build(), FOUR, 1, 3); // all four after temperature 3
    }

    @Test
    void minPKeepsTokensAtLeastMinPTimesTheMostProbable() {
        assertKeepsExactly(params().minP(0.4).build(), FOUR, 1, 3);        // threshold 0.2
        assertKeepsExactly(params().minP(0.25).build(), FOUR, 1, 3, 0);    // threshold 0.125
        assertKeepsExactly(params().minP(0.1).build(), FOUR, 1, 3, 0, 2);  // threshold 0.05
        assertKeepsExactly(params().minP(1).build(), FOUR, 1);
        assertThat(candidates(params().minP(1).build(), new float[] {3, 1, 3, 3})).containsExactly(0, 2, 3);
    }

    @Test
    void filtersComposeToTheShortestPrefix() {
        assertKeepsExactly(params().topP(0.8).minP(0.4).build(), FOUR, 1, 3);
        assertKeepsExactly(params().topK(3).minP(0.25).build(), FOUR, 1, 3, 0);
        assertKeepsExactly(params().topK(2).topP(0.95).minP(0.1).build(), FOUR, 1, 3);
        assertKeepsExactly(params().topK(4).topP(0.4).minP(0.01).build(), FOUR, 1);
    }

    @Test
    void filtersWorkOnTheLogitsAfterBias() {
        // Bias makes token 2 (0.1) the most probable.
        SamplingParams p = params().topK(1).logitBias(java.util.Map.of(2, 3.0)).build();
        assertKeepsExactly(p, FOUR, 2);
    }

    @Test
    void maskedTokensAreNeverKeptByTopPNorSampled() {
        float n = Float.NEGATIVE_INFINITY;
        float[] logits = {n, 0, n, 0, n};
        assertThat(candidates(params().topP(0.9).build(), logits)).containsExactly(1, 3);
        assertThat(sampledTokens(params().build(), logits)).containsExactlyInAnyOrder(1, 3);
        assertThat(sampledTokens(params().topK(4).build(), logits)).containsExactlyInAnyOrder(1, 3);
    }

    @Test
    void nucleusOfALargeVocabularyMatchesTheFullSort() {
        float[] logits = Logits.normal(150_000, 3, 17);
        int[] kept = candidates(params().topP(0.9).build(), logits);
        assertThat(kept).containsExactly(reference(logits, 0, 0.9, 0));
        assertThat(kept.length).isBetween(2, 15_000);
    }

    @Test
    void nucleusOfANearlyFlatLargeVocabularyMatchesTheFullSort() {
        float[] logits = Logits.normal(40_000, 0.01, 18); // every token in one or two coarse buckets
        for (double p : new double[] {0.05, 0.5, 0.95}) {
            assertThat(candidates(params().topP(p).build(), logits)).containsExactly(reference(logits, 0, p, 0));
        }
        assertThat(candidates(params().topP(0.5).minP(0.99).build(), logits))
                .containsExactly(reference(logits, 0, 0.5, 0.99));
    }

    @Test
    void nucleusOfAPeakedOrAWideRowMatchesTheFullSort() {
        // a model's shape: a few tokens far above the rest, which the first look near the best skips
        float[] peaked = Logits.normal(150_000, 2, 19);
        for (int i = 0; i < 40; i++) {
            peaked[i * 3_001] += 25 - i * 0.4f;
        }
        // one token, then a wide spread 10 to 30 nats below it: at top-p 0.9999 the nucleus ends past
        // the first look (16 nats), and every token counts
        float[] wide = new float[50_000];
        for (int i = 1; i < wide.length; i++) {
            wide[i] = -10 - 20f * i / wide.length;
        }
        for (double p : new double[] {0.5, 0.9, 0.999, 0.9999}) {
            assertThat(candidates(params().topP(p).build(), peaked)).containsExactly(reference(peaked, 0, p, 0));
            assertThat(candidates(params().topP(p).build(), wide)).containsExactly(reference(wide, 0, p, 0));
        }
        assertThat(candidates(params().topP(0.9999).build(), wide).length).as("past the first look")
                .isGreaterThan(15_000);
    }

    @Test
    void nucleusOfExactlyTiedLogitsTakesTheLowestIds() {
        int[] kept = candidates(params().topP(0.3).build(), Logits.flat(5000));
        assertThat(kept).containsExactly(IntStream.range(0, 1500).toArray());
    }

    /**
     * The shortcuts (bounded top-k heap, bucketed nucleus, min-p by threshold) agree with sorting the
     * whole vocabulary, on distributions from nearly flat (everything in one bucket) to very peaked.
     */
    @Property(tries = 150)
    void filtersAgreeWithAFullSortReference(@ForAll long seed,
            @ForAll @IntRange(min = 1, max = 3000) int vocab,
            @ForAll @IntRange(min = 0, max = 4) int spread,
            @ForAll @IntRange(min = 0, max = 3500) int topK,
            @ForAll @DoubleRange(min = 0.01, max = 1.0) double topP,
            @ForAll @DoubleRange(min = 0.0, max = 0.5) double minP) {
        double sd = new double[] {0.001, 0.05, 1, 4, 20}[spread];
        float[] logits = Logits.normal(vocab, sd, seed);
        if (seed % 3 == 0) { // coarse logits: many exact ties
            for (int i = 0; i < vocab; i++) {
                logits[i] = Math.round(logits[i]);
            }
        }
        for (int k : new int[] {0, topK}) {
            for (double p : new double[] {1, topP}) {
                for (double m : new double[] {0, minP}) {
                    SamplingParams params = params().topK(k).topP(p).minP(m).build();
                    assertThat(candidates(params, logits)).as("top_k=%d top_p=%s min_p=%s", k, p, m)
                            .containsExactly(reference(logits, k, p, m));
                }
            }
        }
    }

    /** The definitions, straight: sort everything, take prefixes. */
    static int[] reference(float[] logits, int topK, double topP, double minP) {
        int vocab = logits.length;
        Integer[] order = IntStream.range(0, vocab).boxed().sorted(
                Comparator.<Integer>comparingDouble(i -> -logits[i]).thenComparingInt(i -> i)).toArray(Integer[]::new);
        int n = topK > 0 && topK < vocab ? topK : vocab;
        float max = logits[order[0]];
        if (topP < 1) {
            double z = 0;
            for (int i = 0; i < n; i++) {
                z += (float) Math.exp((double) logits[order[i]] - max);
            }
            double cumulative = 0;
            for (int i = 0; i < n; i++) {
                cumulative += (float) Math.exp((double) logits[order[i]] - max);
                if (cumulative >= topP * z) {
                    n = i + 1;
                    break;
                }
            }
        }
        if (minP > 0) {
            for (int i = 1; i < n; i++) {
                if ((double) logits[order[i]] - max < Math.log(minP)) {
                    n = i;
                    break;
                }
            }
        }
        return Arrays.stream(order, 0, n).mapToInt(Integer::intValue).sorted().toArray();
    }

    @Test
    void referenceAgreesWithTheCraftedCases() {
        assertThat(reference(FOUR, 3, 0.8, 0)).containsExactly(1, 3);
        assertThat(Arrays.stream(reference(FOUR, 0, 0.8, 0)).boxed().collect(Collectors.toSet()))
                .containsExactlyInAnyOrder(0, 1, 3);
    }
}
