package dev.switchyard.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;

class LogprobsTest {

    private static final int VOCAB = 20;

    private static SamplingParams.Builder withLogprobs(int n) {
        return SamplingParams.builder().logprobs(n).seed(3L);
    }

    @Test
    void topLogprobsOverTheWholeVocabularyExponentiateToOne() {
        float[] logits = Logits.normal(VOCAB, 3, 5);
        TokenLogprobs out = new TokenLogprobs();
        new Sampler(withLogprobs(20).build(), VOCAB).sample(logits, out);
        assertThat(out.topCount()).isEqualTo(VOCAB);
        double sum = 0;
        for (int i = 0; i < out.topCount(); i++) {
            sum += Math.exp(out.topLogprob(i));
        }
        assertThat(sum).isCloseTo(1.0, within(1e-6));
    }

    @Test
    void valuesAreTheNaturalLogSoftmaxOfTheRawLogits() {
        float[] logits = Logits.normal(VOCAB, 4, 6);
        double[] expected = Logits.logSoftmax(logits);
        TokenLogprobs out = new TokenLogprobs();
        int token = new Sampler(withLogprobs(20).build(), VOCAB).sample(logits, out);
        assertThat(out.token()).isEqualTo(token);
        assertThat(out.logprob()).isCloseTo(expected[token], within(1e-9));
        for (int i = 0; i < out.topCount(); i++) {
            assertThat(out.topLogprob(i)).isCloseTo(expected[out.topId(i)], within(1e-9));
        }
    }

    @Test
    void alternativesAreSortedByDescendingLogprobWithTiesByLowerId() {
        float[] logits = {1, 4, 2, 4, 0, 2, 4, -1};
        TokenLogprobs out = new TokenLogprobs();
        new Sampler(withLogprobs(5).build(), logits.length).sample(logits, out);
        assertThat(out.topCount()).isEqualTo(5);
        int[] ids = new int[5];
        for (int i = 0; i < 5; i++) {
            ids[i] = out.topId(i);
        }
        assertThat(ids).containsExactly(1, 3, 6, 2, 5);
        assertThat(out.topLogprob(0)).isEqualTo(out.topLogprob(2));
        assertThat(out.topLogprob(2)).isGreaterThan(out.topLogprob(3));
    }

    @Test
    void aTokensRankIsOnePlusTheTokensStrictlyMoreProbableSoTiesShareIt() {
        float[] logits = {1, 4, 2, 4, 0, 2, 4, -1};
        TokenLogprobs out = new TokenLogprobs();
        int[] expected = {6, 1, 4, 1, 7, 4, 1, 8};
        for (int token = 0; token < logits.length; token++) {
            out.fill(logits, logits.length, token, 2);
            assertThat(out.rank()).as("token %d", token).isEqualTo(expected[token]);
            assertThat(out.topCount()).isEqualTo(2);
            assertThat(out.topId(0)).isEqualTo(1);
            assertThat(out.topId(1)).isEqualTo(3);
        }
        // a sampled token's rank, from the whole row and from the row's best tokens alike
        Sampler sampler = new Sampler(withLogprobs(3).temperature(0).build(), logits.length);
        sampler.sample(logits, out);
        assertThat(out.token()).isEqualTo(1);
        assertThat(out.rank()).isEqualTo(1);
    }

    @Test
    void theTopNAreTheNLargestOfALargeVocabulary() {
        int vocab = 50_000;
        float[] logits = Logits.normal(vocab, 2, 8);
        double[] expected = Logits.logSoftmax(logits);
        Integer[] order = java.util.stream.IntStream.range(0, vocab).boxed()
                .sorted((a, b) -> a.equals(b) ? 0 : logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : a - b)
                .toArray(Integer[]::new);
        TokenLogprobs out = new TokenLogprobs();
        new Sampler(withLogprobs(20).build(), vocab).sample(logits, out);
        for (int i = 0; i < 20; i++) {
            assertThat(out.topId(i)).isEqualTo(order[i]);
            assertThat(out.topLogprob(i)).isCloseTo(expected[order[i]], within(1e-9));
        }
    }

    @Test
    void logprobsIgnoreBiasPenaltiesFiltersAndTemperature() {
        float[] logits = Logits.normal(VOCAB, 2, 9);
        double[] expected = Logits.logSoftmax(logits);
        SamplingParams heavy = withLogprobs(10).logitBias(Map.of(7, 100.0)).repetitionPenalty(1.7)
                .presencePenalty(1).frequencyPenalty(2).topK(2).topP(0.3).minP(0.2).temperature(0.2).build();
        Sampler plain = new Sampler(withLogprobs(10).build(), VOCAB);
        Sampler filtered = new Sampler(heavy, VOCAB);
        filtered.addPromptTokens(new int[] {1, 2, 3});
        filtered.accept(4);
        filtered.accept(4);
        TokenLogprobs a = new TokenLogprobs();
        TokenLogprobs b = new TokenLogprobs();
        plain.sample(logits, a);
        int forced = filtered.sample(logits, b);

        assertThat(forced).isEqualTo(7);
        assertThat(b.logprob()).as("the forced token's raw probability").isCloseTo(expected[7], within(1e-9));
        assertThat(b.topCount()).isEqualTo(a.topCount());
        for (int i = 0; i < a.topCount(); i++) {
            assertThat(b.topId(i)).isEqualTo(a.topId(i));
            assertThat(b.topLogprob(i)).isEqualTo(a.topLogprob(i));
        }
    }

    @Test
    void greedyAlsoReportsLogprobs() {
        float[] logits = {0, 1, 2};
        TokenLogprobs out = new TokenLogprobs();
        int token = new Sampler(SamplingParams.greedy().toBuilder().logprobs(2).build(), 3).sample(logits, out);
        assertThat(token).isEqualTo(2);
        assertThat(out.logprob()).isCloseTo(Logits.logSoftmax(logits)[2], within(1e-12));
        assertThat(out.topId(0)).isEqualTo(2);
        assertThat(out.topId(1)).isEqualTo(1);
    }

    @Test
    void zeroAlternativesStillReportsTheChosenToken() {
        float[] logits = {0, 1, 2};
        TokenLogprobs out = new TokenLogprobs();
        int token = new Sampler(withLogprobs(0).build(), 3).sample(logits, out);
        assertThat(out.token()).isEqualTo(token);
        assertThat(out.logprob()).isCloseTo(Logits.logSoftmax(logits)[token], within(1e-12));
        assertThat(out.topCount()).isZero();
        assertThatThrownBy(() -> out.topId(0)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void moreAlternativesThanTokensReportsTheWholeVocabulary() {
        TokenLogprobs out = new TokenLogprobs();
        new Sampler(withLogprobs(20).build(), 3).sample(new float[] {0, 1, 2}, out);
        assertThat(out.topCount()).isEqualTo(3);
    }

    @Test
    void maskedTokensHaveMinusInfinityAndTheObjectIsReusedAcrossTokens() {
        float n = Float.NEGATIVE_INFINITY;
        TokenLogprobs out = new TokenLogprobs();
        Sampler s = new Sampler(withLogprobs(4).build(), 4);
        s.sample(new float[] {0, 1, 2, 3}, out);
        assertThat(out.topCount()).isEqualTo(4);
        s.sample(new float[] {n, 0, n, 0}, out);
        assertThat(out.topId(0)).isEqualTo(1);
        assertThat(out.topId(1)).isEqualTo(3);
        assertThat(out.topLogprob(0)).isCloseTo(Math.log(0.5), within(1e-12));
        assertThat(out.topLogprob(2)).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(out.topId(2)).isZero();
    }
}
