package dev.switchyard.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * llama.cpp's further samplers: DRY lowers exactly the token that would extend a repetition, by
 * its formula, and not across a breaker; top-n-sigma, typical and XTC draw only among the tokens
 * they keep; all of them leave a seeded run reproducible and greedy decoding to the penalties alone.
 */
class SamplerExtrasTest {

    private static final int VOCAB = 12;

    private static SamplerExtras extras(double typical, double sigma, double xtcP, double xtcT, SamplerExtras.Dry dry) {
        return new SamplerExtras(typical, sigma, xtcP, xtcT, dry);
    }

    private static float[] flat() {
        float[] l = new float[VOCAB];
        for (int i = 0; i < VOCAB; i++) {
            l[i] = 1.0f - 0.05f * i;
        }
        return l;
    }

    @Test
    void dryLowersTheTokenThatWouldExtendARepetitionByItsFormula() {
        SamplerExtras.Dry dry = new SamplerExtras.Dry(0.8, 1.75, 2, 0, Set.of());
        Sampler s = new Sampler(SamplingParams.builder().temperature(1).extras(extras(1, 0, 0, 0.1, dry)).build(), VOCAB);
        s.addPromptTokens(new int[] {1, 2, 3, 4, 5, 1, 2, 3});
        float[] logits = flat();
        float[] adjusted = s.adjustedLogits(logits);
        // "1 2 3" repeats; 4 followed it: a match of 3, penalized 0.8 * 1.75^(3 - 2)
        assertThat((double) adjusted[4]).isCloseTo(logits[4] - 0.8 * 1.75, within(1e-5));
        for (int t = 0; t < VOCAB; t++) {
            if (t != 4) {
                assertThat(adjusted[t]).as("token %d", t).isEqualTo(logits[t]);
            }
        }
        // a breaker inside the run cuts the match to "3" alone: shorter than allowed, nothing lowered
        SamplerExtras.Dry broken = new SamplerExtras.Dry(0.8, 1.75, 2, 0, Set.of(2));
        Sampler b = new Sampler(SamplingParams.builder().extras(extras(1, 0, 0, 0.1, broken)).build(), VOCAB);
        b.addPromptTokens(new int[] {1, 2, 3, 4, 5, 1, 2, 3});
        assertThat(b.adjustedLogits(logits)).containsExactly(logits);
        // only the last lastN tokens are searched
        SamplerExtras.Dry recent = new SamplerExtras.Dry(0.8, 1.75, 2, 4, Set.of());
        Sampler r = new Sampler(SamplingParams.builder().extras(extras(1, 0, 0, 0.1, recent)).build(), VOCAB);
        r.addPromptTokens(new int[] {1, 2, 3, 4, 5, 1, 2, 3});
        assertThat(r.adjustedLogits(logits)).containsExactly(logits);
    }

    @Test
    void dryFollowsGeneratedTokensAndAppliesToGreedyChoices() {
        SamplerExtras.Dry dry = new SamplerExtras.Dry(5, 1.75, 1, 0, Set.of());
        Sampler s = new Sampler(SamplingParams.builder().temperature(0).extras(extras(1, 0, 0, 0.1, dry)).build(), VOCAB);
        s.addPromptTokens(new int[] {7, 0});
        float[] logits = flat(); // token 0 is the model's favourite
        int first = s.sample(logits);
        s.accept(first);
        assertThat(first).as("0 followed 7 before, but the text ends in 0, not 7").isEqualTo(0);
        int second = s.sample(logits);
        assertThat(second).as("after 0, 0 came before: repeating it is penalized").isNotEqualTo(0);
    }

    @Test
    void topNSigmaKeepsTheTokensNearTheBest() {
        float[] logits = {10, 9.5f, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0};
        Sampler s = new Sampler(SamplingParams.builder().temperature(2).seed(1L).extras(extras(1, 1.0, 0, 0.1,
                SamplerExtras.Dry.OFF)).build(), VOCAB);
        Set<Integer> drawn = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            drawn.add(s.sample(logits));
        }
        // mean 1.875, sigma about 3.6: only logits above 10 - 3.6 stay
        assertThat(drawn).containsExactlyInAnyOrder(0, 1);
    }

    @Test
    void typicalKeepsTheTokensWhoseSurpriseIsNearTheEntropy() {
        // one very likely token, two middling, the rest rare: the middling ones are the typical ones
        float[] logits = {6, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        float[] masked = logits.clone();
        MaskingFilters.typical(masked, VOCAB, 0.2, new long[VOCAB], new float[VOCAB],
                new double[MaskingFilters.TYPICAL_BUCKETS]);
        int kept = 0;
        for (float l : masked) {
            kept += l > Float.NEGATIVE_INFINITY ? 1 : 0;
        }
        assertThat(kept).isPositive().isLessThan(VOCAB);
        Sampler s = new Sampler(SamplingParams.builder().temperature(1).seed(2L).extras(extras(0.2, 0, 0, 0.1,
                SamplerExtras.Dry.OFF)).build(), VOCAB);
        for (int i = 0; i < 200; i++) {
            assertThat(masked[s.sample(logits)]).isGreaterThan(Float.NEGATIVE_INFINITY);
        }
    }

    @Test
    void typicalKeepsWhatSortingByDistanceToTheEntropyWouldKeep() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(8);
        for (int trial = 0; trial < 200; trial++) {
            // some vocabularies large enough to crowd the buckets
            int vocab = trial % 10 == 9 ? 20_000 : 20 + random.nextInt(400);
            float[] logits = Logits.normal(vocab, 0.5 + 3 * random.nextDouble(), trial);
            if (trial % 3 == 0) {
                for (int i = 0; i < vocab; i += 2) {
                    logits[i] = Math.round(logits[i]); // ties in distance
                }
            }
            double mass = 0.05 + 0.9 * random.nextDouble();
            float[] bisected = logits.clone();
            MaskingFilters.typical(bisected, vocab, mass, new long[vocab], new float[vocab],
                    new double[MaskingFilters.TYPICAL_BUCKETS]);
            // reference: sort by (|surprise - entropy| as a float, id), keep the prefix that reaches the mass
            double[] lp = new double[vocab];
            double norm = RowDistribution.logNormalizer(logits, vocab);
            double entropy = 0;
            for (int i = 0; i < vocab; i++) {
                lp[i] = logits[i] - norm;
                entropy -= Math.exp(lp[i]) * lp[i];
            }
            Integer[] order = new Integer[vocab];
            float[] distance = new float[vocab];
            for (int i = 0; i < vocab; i++) {
                order[i] = i;
                distance[i] = (float) Math.abs(-lp[i] - entropy);
            }
            java.util.Arrays.sort(order, (x, y) -> distance[x] != distance[y] ? Float.compare(distance[x], distance[y])
                    : Integer.compare(x, y));
            boolean[] keep = new boolean[vocab];
            double kept = 0;
            for (int k = 0; k < vocab && kept < mass; k++) {
                keep[order[k]] = true;
                kept += (float) Math.exp(lp[order[k]]);
            }
            for (int i = 0; i < vocab; i++) {
                assertThat(bisected[i] > Float.NEGATIVE_INFINITY).as("trial %d token %d", trial, i).isEqualTo(keep[i]);
            }
        }
    }

    @Test
    void xtcRemovesTheTopChoicesButTheLeastProbableOfThem() {
        // probabilities 0.4, 0.3, 0.2, 0.1 (then nothing)
        float[] logits = new float[VOCAB];
        java.util.Arrays.fill(logits, Float.NEGATIVE_INFINITY);
        logits[0] = (float) Math.log(0.4);
        logits[1] = (float) Math.log(0.3);
        logits[2] = (float) Math.log(0.2);
        logits[3] = (float) Math.log(0.1);
        Sampler always = new Sampler(SamplingParams.builder().temperature(1).seed(3L).extras(extras(1, 0, 1.0, 0.25,
                SamplerExtras.Dry.OFF)).build(), VOCAB);
        Set<Integer> drawn = new HashSet<>();
        for (int i = 0; i < 400; i++) {
            drawn.add(always.sample(logits));
        }
        assertThat(drawn).containsExactlyInAnyOrder(1, 2, 3);
        // one token above the threshold: nothing to remove
        float[] single = logits.clone();
        MaskingFilters.xtc(single, VOCAB, logits[0], null, -1, 0.35);
        assertThat(single).containsExactly(logits);
        // after top-k 2 the two left are 0.57 and 0.43 probable: both reach 0.35, the first gives way
        Sampler afterTopK = new Sampler(SamplingParams.builder().temperature(1).seed(4L).topK(2).extras(extras(1, 0, 1.0,
                0.35, SamplerExtras.Dry.OFF)).build(), VOCAB);
        for (int i = 0; i < 50; i++) {
            assertThat(afterTopK.sample(logits)).as("XTC applies after the truncations, as llama.cpp's").isEqualTo(1);
        }
        // seeded runs repeat, also when XTC draws whether to act
        for (int run = 0; run < 2; run++) {
            Sampler a = new Sampler(SamplingParams.builder().temperature(1).seed(9L).extras(extras(1, 0, 0.5, 0.25,
                    SamplerExtras.Dry.OFF)).build(), VOCAB);
            Sampler b = new Sampler(SamplingParams.builder().temperature(1).seed(9L).extras(extras(1, 0, 0.5, 0.25,
                    SamplerExtras.Dry.OFF)).build(), VOCAB);
            for (int i = 0; i < 50; i++) {
                assertThat(a.sample(logits)).isEqualTo(b.sample(logits));
            }
        }
    }

    @Test
    void greedyDecodingIgnoresTheMaskingFiltersAndTheyNeedTheWholeRow() {
        float[] logits = flat();
        Sampler greedy = new Sampler(SamplingParams.builder().temperature(0).extras(extras(0.5, 0.5, 1, 0.01,
                SamplerExtras.Dry.OFF)).build(), VOCAB);
        assertThat(greedy.sample(logits)).isZero();
        assertThat(greedy.candidatesNeeded()).isZero();
    }

    @Test
    void outOfRangeSettingsAreRefusedByName() {
        assertThatThrownBy(() -> extras(0, 0, 0, 0.1, null)).hasMessageStartingWith("typical_p");
        assertThatThrownBy(() -> extras(1, Double.NaN, 0, 0.1, null)).hasMessageStartingWith("top_n_sigma");
        assertThatThrownBy(() -> extras(1, 0, 1.5, 0.1, null)).hasMessageStartingWith("xtc_probability");
        assertThatThrownBy(() -> extras(1, 0, 0.5, 0.7, null)).hasMessageStartingWith("xtc_threshold");
        assertThatThrownBy(() -> new SamplerExtras.Dry(-1, 1.75, 2, 0, null)).hasMessageStartingWith("dry_multiplier");
        assertThatThrownBy(() -> new SamplerExtras.Dry(1, 1.0, 2, 0, null)).hasMessageStartingWith("dry_base");
        assertThatThrownBy(() -> new SamplerExtras.Dry(1, 1.75, 0, 0, null)).hasMessageStartingWith("dry_allowed_length");
    }
}
