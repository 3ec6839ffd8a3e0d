package dev.switchyard.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PenaltiesAndBiasTest {

    private static final float[] LOGITS = {2.0f, -1.0f, 0.5f, 3.0f, 0.0f, -2.0f};

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOfSeenTokens() {
        Sampler s = new Sampler(SamplingParams.builder().repetitionPenalty(2).build(), 6);
        s.addPromptTokens(new int[] {0, 1, 1});
        s.accept(2);
        s.accept(4);
        assertThat(s.adjustedLogits(LOGITS)).containsExactly(1.0f, -2.0f, 0.25f, 3.0f, 0.0f, -2.0f);
    }

    @Test
    void presenceAndFrequencyPenaltiesFollowOpenAiOverGeneratedTokensOnly() {
        SamplingParams p = SamplingParams.builder().presencePenalty(0.5).frequencyPenalty(0.25).build();
        Sampler s = new Sampler(p, 6);
        s.addPromptTokens(new int[] {0, 3}); // the prompt does not count
        s.accept(2);
        s.accept(2);
        s.accept(3);
        s.accept(2);
        // token 2: 0.5 - (3 * 0.25 + 0.5) = -0.75; token 3: 3 - (1 * 0.25 + 0.5) = 2.25
        assertThat(s.adjustedLogits(LOGITS)).containsExactly(2.0f, -1.0f, -0.75f, 2.25f, 0.0f, -2.0f);
        assertThat(s.generatedCount(2)).isEqualTo(3);
        assertThat(s.generatedCount(0)).isZero();
    }

    @Test
    void negativePresenceAndFrequencyPenaltiesEncourageRepetition() {
        SamplingParams p = SamplingParams.builder().presencePenalty(-1).frequencyPenalty(-2).build();
        Sampler s = new Sampler(p, 6);
        s.accept(5);
        s.accept(5);
        // -2 - (2 * -2 + -1) = 3
        assertThat(s.adjustedLogits(LOGITS)[5]).isEqualTo(3.0f);
    }

    @Test
    void biasComesFirstThenRepetitionThenPresenceAndFrequency() {
        SamplingParams p = SamplingParams.builder()
                .logitBias(Map.of(3, 1.0, 4, 1.5, 0, -3.0))
                .repetitionPenalty(2).presencePenalty(0.5).frequencyPenalty(0.25).build();
        Sampler s = new Sampler(p, 6);
        s.addPromptTokens(new int[] {0, 1});
        s.accept(2);
        s.accept(2);
        s.accept(3);
        float[] expected = {
            (2.0f - 3.0f) * 2,                 // biased to -1, seen in the prompt: times 2
            -1.0f * 2,                         // prompt: times 2
            0.5f / 2 - (2 * 0.25f + 0.5f),     // generated twice: 0.25 - 1.0
            (3.0f + 1.0f) / 2 - (0.25f + 0.5f), // biased to 4, halved, then once: 1.25 (1.75 if biased last)
            1.5f,                              // unseen: bias only
            -2.0f};
        assertThat(s.adjustedLogits(LOGITS)).containsExactly(expected);
    }

    @Test
    void penaltiesAccumulateFromTokenToTokenAndLeaveTheCallersLogitsAlone() {
        Sampler s = new Sampler(SamplingParams.builder().frequencyPenalty(1).build(), 6);
        float[] logits = LOGITS.clone();
        for (int i = 1; i <= 4; i++) {
            s.accept(3);
            assertThat(s.adjustedLogits(logits)[3]).isCloseTo(3.0f - i, within(0f));
        }
        s.sample(logits);
        assertThat(logits).containsExactly(LOGITS);
    }

    @Test
    void noPenaltyStateWithoutPenalties() {
        Sampler s = new Sampler(SamplingParams.defaults(), 6);
        s.addPromptTokens(new int[] {1, 2});
        s.accept(3);
        assertThat(s.adjustedLogits(LOGITS)).containsExactly(LOGITS);
    }

    @Test
    void aHugeRepetitionPenaltyMultipliesIntoMinusInfinityAndATinyOneStaysFinite() {
        Sampler tiny = new Sampler(SamplingParams.builder().repetitionPenalty(1e-300).build(), 6);
        tiny.accept(0);
        assertThat(tiny.adjustedLogits(LOGITS)[0]).isEqualTo(Float.MAX_VALUE);
        assertThat(tiny.sample(LOGITS)).isZero();

        Sampler huge = new Sampler(SamplingParams.builder().repetitionPenalty(1e300).build(), 6);
        huge.accept(1);
        assertThat(huge.adjustedLogits(LOGITS)[1]).isEqualTo(Float.NEGATIVE_INFINITY);
    }

    @Test
    void biasOfMinus100BansAToken() {
        float[] logits = {10, 9, 8, 7};
        SamplingParams p = SamplingParams.builder().logitBias(Map.of(0, -100.0)).build();
        for (long seed = 0; seed < 50; seed++) {
            Sampler s = new Sampler(p.toBuilder().seed(seed).build(), 4);
            for (int i = 0; i < 100; i++) {
                assertThat(s.sample(logits)).isNotZero();
            }
        }
        assertThat(new Sampler(p.toBuilder().temperature(0).build(), 4).sample(logits)).isEqualTo(1);
    }

    @Test
    void biasOfPlus100ForcesAToken() {
        float[] logits = {10, 9, 8, 7};
        SamplingParams p = SamplingParams.builder().logitBias(Map.of(3, 100.0)).temperature(1.5).build();
        for (long seed = 0; seed < 50; seed++) {
            Sampler s = new Sampler(p.toBuilder().seed(seed).build(), 4);
            for (int i = 0; i < 100; i++) {
                assertThat(s.sample(logits)).isEqualTo(3);
            }
        }
    }
}
