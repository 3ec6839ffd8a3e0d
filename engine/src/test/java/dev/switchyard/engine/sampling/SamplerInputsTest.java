package dev.switchyard.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SamplerInputsTest {

    @Test
    void logitsOfTheWrongLengthAreRejected() {
        Sampler s = new Sampler(SamplingParams.defaults(), 4);
        assertThatThrownBy(() -> s.sample(new float[5]))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("expected 4 logits, got 5");
    }

    @Test
    void nanAndPlusInfinityLogitsAreRejectedWithTheirToken() {
        Sampler s = new Sampler(SamplingParams.defaults(), 3);
        assertThatThrownBy(() -> s.sample(new float[] {0, Float.NaN, 1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("logit of token 1 is NaN");
        assertThatThrownBy(() -> s.sample(new float[] {0, 1, Float.POSITIVE_INFINITY}))
                .hasMessage("logit of token 2 is Infinity");
    }

    @Test
    void everyTokenMaskedIsAnError() {
        float n = Float.NEGATIVE_INFINITY;
        assertThatThrownBy(() -> new Sampler(SamplingParams.greedy(), 2).sample(new float[] {n, n}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-infinity");
    }

    @Test
    void tokensOutsideTheVocabularyAreRejected() {
        Sampler s = new Sampler(SamplingParams.builder().repetitionPenalty(1.2).build(), 4);
        assertThatThrownBy(() -> s.accept(4)).hasMessage("token 4 is outside the vocabulary of 4 tokens");
        assertThatThrownBy(() -> s.accept(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.addPromptTokens(new int[] {0, 9})).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void scratchMustMatchTheVocabulary() {
        assertThatThrownBy(() -> new Sampler(SamplingParams.defaults(), 4, new SamplingScratch(5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("5 tokens");
        assertThatThrownBy(() -> new SamplingScratch(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aOneTokenVocabularyAlwaysGivesThatToken() {
        Sampler s = new Sampler(SamplingParams.builder().topK(1).topP(0.1).minP(0.9).build(), 1);
        assertThat(s.sample(new float[] {-3})).isZero();
    }

    @Test
    void stopTokensStopAndEndOfGenerationStopsUnlessIgnored() {
        Sampler s = new Sampler(SamplingParams.builder().stopTokenIds(5, 9).build(), 10);
        assertThat(s.isStopToken(5, false)).isTrue();
        assertThat(s.isStopToken(9, false)).isTrue();
        assertThat(s.isStopToken(4, false)).isFalse();
        assertThat(s.isStopToken(2, true)).isTrue();

        Sampler ignoring = new Sampler(SamplingParams.builder().stopTokenIds(5).ignoreEos(true).build(), 10);
        assertThat(ignoring.isStopToken(2, true)).isFalse();
        assertThat(ignoring.isStopToken(5, false)).isTrue();
    }
}
