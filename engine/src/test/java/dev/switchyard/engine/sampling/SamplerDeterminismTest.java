package dev.switchyard.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SamplerDeterminismTest {

    private static final int VOCAB = 1000;

    private static int[] generate(Sampler sampler, float[] logits, int count) {
        int[] tokens = new int[count];
        for (int i = 0; i < count; i++) {
            tokens[i] = sampler.sample(logits);
            sampler.accept(tokens[i]);
        }
        return tokens;
    }

    private static SamplingParams seeded(long seed) {
        return SamplingParams.builder().seed(seed).build();
    }

    @Test
    void aFixedSeedReproducesTheSameTokenSequence() {
        float[] logits = Logits.normal(VOCAB, 2, 1);
        SamplingParams params = SamplingParams.builder().seed(42L).topK(50).topP(0.9).minP(0.01)
                .temperature(0.8).repetitionPenalty(1.1).presencePenalty(0.3).frequencyPenalty(0.2).build();
        int[] first = generate(new Sampler(params, VOCAB), logits, 300);
        int[] second = generate(new Sampler(params, VOCAB), logits, 300);
        assertThat(second).containsExactly(first);
        assertThat(Arrays.stream(first).distinct().count()).as("penalties spread the tokens").isGreaterThan(20);
    }

    @Test
    void differentSeedsGiveDifferentSequencesOnAFlatDistribution() {
        float[] flat = Logits.flat(VOCAB);
        int[] a = generate(new Sampler(seeded(1), VOCAB), flat, 20);
        int[] b = generate(new Sampler(seeded(2), VOCAB), flat, 20);
        assertThat(a).isNotEqualTo(b);
    }

    @Test
    void samplersWithTheSameSeedAgreeWhateverOtherSamplersDoInBetween() {
        float[] logits = Logits.normal(VOCAB, 1, 7);
        int[] alone = generate(new Sampler(seeded(99), VOCAB), logits, 200);

        Sampler mine = new Sampler(seeded(99), VOCAB);
        Sampler other = new Sampler(seeded(99), VOCAB); // even the same seed must not share a stream
        Sampler third = new Sampler(SamplingParams.defaults(), VOCAB);
        float[] otherLogits = Logits.normal(VOCAB, 3, 8);
        int[] interleaved = new int[200];
        for (int i = 0; i < interleaved.length; i++) {
            for (int j = 0; j < i % 3; j++) {
                other.sample(otherLogits);
                third.sample(logits);
            }
            interleaved[i] = mine.sample(logits);
            mine.accept(interleaved[i]);
        }
        assertThat(interleaved).containsExactly(alone);
    }

    @Test
    void samplersSharingScratchOnOneThreadStayIndependent() {
        float[] logits = Logits.normal(VOCAB, 1, 3);
        SamplingParams params = SamplingParams.builder().seed(5L).topP(0.95).build();
        int[] alone = generate(new Sampler(params, VOCAB), logits, 100);

        SamplingScratch shared = new SamplingScratch(VOCAB);
        Sampler mine = new Sampler(params, VOCAB, shared);
        Sampler other = new Sampler(SamplingParams.builder().topK(3).seed(6L).build(), VOCAB, shared);
        int[] interleaved = new int[100];
        for (int i = 0; i < interleaved.length; i++) {
            other.sample(Logits.normal(VOCAB, 5, i));
            interleaved[i] = mine.sample(logits);
        }
        assertThat(interleaved).containsExactly(alone);
    }

    @Test
    void anAbsentSeedIsDrawnAtRandomAndReportedSoTheRunCanBeReplayed() {
        float[] logits = Logits.normal(VOCAB, 1, 11);
        Sampler a = new Sampler(SamplingParams.defaults(), VOCAB);
        Sampler b = new Sampler(SamplingParams.defaults(), VOCAB);
        assertThat(a.seed()).isNotEqualTo(b.seed());
        int[] original = generate(a, logits, 50);
        Sampler replay = new Sampler(seeded(a.seed()), VOCAB);
        assertThat(generate(replay, logits, 50)).containsExactly(original);
    }

    @Test
    void greedyIsTheArgmaxWithTiesToTheLowestId() {
        Sampler greedy = new Sampler(SamplingParams.greedy(), 6);
        assertThat(greedy.sample(new float[] {1, 3, 3, 2, -1, 3})).isEqualTo(1);
        assertThat(greedy.sample(new float[] {0, -0f, 0, 0, 0, 0})).isZero();
        assertThat(greedy.sample(new float[] {-0f, 0, -1, -2, -3, -4})).isZero();
        assertThat(greedy.sample(new float[] {Float.NEGATIVE_INFINITY, -5, 2, 7, 7.0001f, 1})).isEqualTo(4);
    }

    @Test
    void temperatureZeroIgnoresTheSeed() {
        float[] flat = Logits.flat(VOCAB);
        float[] logits = Logits.normal(VOCAB, 1, 4);
        for (long seed = 0; seed < 20; seed++) {
            Sampler s = new Sampler(SamplingParams.greedy().toBuilder().seed(seed).topK(5).topP(0.5).build(), VOCAB);
            assertThat(s.sample(flat)).isZero();
            assertThat(s.sample(logits)).isEqualTo(argmax(logits));
        }
    }

    @Test
    void greedyTakesTheArgmaxAfterBiasAndPenalties() {
        SamplingParams params = SamplingParams.greedy().toBuilder().repetitionPenalty(2).build();
        Sampler s = new Sampler(params, 2);
        float[] logits = {5, 4};
        assertThat(s.sample(logits)).isZero();
        s.accept(0); // 5 -> 2.5
        assertThat(s.sample(logits)).isEqualTo(1);

        Sampler biased = new Sampler(SamplingParams.greedy().toBuilder().logitBias(java.util.Map.of(1, 1.5)).build(), 2);
        assertThat(biased.sample(logits)).isEqualTo(1);
    }

    private static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
