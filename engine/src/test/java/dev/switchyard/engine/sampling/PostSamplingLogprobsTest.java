package dev.switchyard.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * Post-sampling log-probabilities (llama.cpp's post_sampling_probs) are those of the distribution
 * the token was drawn from: the survivors of the filters at the request's temperature, renormalized,
 * most probable first; a greedy draw is certain. The token drawn is the same as without them.
 */
class PostSamplingLogprobsTest {

    private static final int VOCAB = 300;

    /** The softmax at temperature t over the k largest logits, by id (0 elsewhere). */
    private static double[] topKSoftmax(float[] logits, int k, double t) {
        Integer[] order = new Integer[logits.length];
        java.util.Arrays.setAll(order, i -> i);
        java.util.Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]) != 0
                ? Float.compare(logits[b], logits[a]) : Integer.compare(a, b));
        double max = logits[order[0]];
        double z = 0;
        for (int i = 0; i < k; i++) {
            z += Math.exp((logits[order[i]] - max) / t);
        }
        double[] p = new double[logits.length];
        for (int i = 0; i < k; i++) {
            p[order[i]] = Math.exp((logits[order[i]] - max) / t) / z;
        }
        return p;
    }

    @Test
    void theyAreTheTruncatedTemperedDistributionAndTheTokensAreUnchanged() {
        for (long seed = 1; seed <= 10; seed++) {
            float[] logits = Logits.normal(VOCAB, 2, seed);
            SamplingParams raw = SamplingParams.builder().temperature(0.7).topK(6).seed(seed).logprobs(10).build();
            Sampler plain = new Sampler(raw, VOCAB);
            Sampler post = new Sampler(raw.toBuilder().postSamplingLogprobs(true).build(), VOCAB);
            double[] want = topKSoftmax(logits, 6, 0.7);
            for (int draw = 0; draw < 20; draw++) {
                TokenLogprobs a = new TokenLogprobs();
                TokenLogprobs b = new TokenLogprobs();
                int token = plain.sample(logits, a);
                assertThat(post.sample(logits, b)).isEqualTo(token);
                assertThat(b.token()).isEqualTo(token);
                assertThat(Math.exp(b.logprob())).isCloseTo(want[token], within(1e-5));
                assertThat(b.topCount()).as("only the 6 survivors").isEqualTo(6);
                double sum = 0;
                for (int r = 0; r < b.topCount(); r++) {
                    assertThat(Math.exp(b.topLogprob(r))).isCloseTo(want[b.topId(r)], within(1e-5));
                    if (r > 0) {
                        assertThat(b.topLogprob(r)).isLessThanOrEqualTo(b.topLogprob(r - 1));
                    }
                    sum += Math.exp(b.topLogprob(r));
                }
                assertThat(sum).isCloseTo(1, within(1e-5));
                assertThat(b.topId(b.rank() - 1)).isEqualTo(token);
            }
        }
    }

    @Test
    void theRowsBestTokensGiveTheSameAsTheRow() {
        float[] logits = Logits.normal(VOCAB, 2, 9);
        SamplingParams params = SamplingParams.builder().temperature(0.9).topK(8).seed(4L).logprobs(5)
                .postSamplingLogprobs(true).build();
        Sampler fromRow = new Sampler(params, VOCAB);
        Sampler fromBest = new Sampler(params, VOCAB);
        int needed = fromBest.candidatesNeeded();
        assertThat(needed).isPositive();
        Integer[] order = new Integer[VOCAB];
        java.util.Arrays.setAll(order, i -> i);
        java.util.Arrays.sort(order, (x, y) -> Float.compare(logits[y], logits[x]) != 0
                ? Float.compare(logits[y], logits[x]) : Integer.compare(x, y));
        int[] ids = new int[needed];
        float[] values = new float[needed];
        for (int i = 0; i < needed; i++) {
            ids[i] = order[i];
            values[i] = logits[order[i]];
        }
        double z = 0;
        for (float l : logits) {
            z += Math.exp(l - values[0]);
        }
        RowCandidates best = new RowCandidates().view(ids, values, 0, needed, Math.log(z));
        for (int draw = 0; draw < 20; draw++) {
            TokenLogprobs a = new TokenLogprobs();
            TokenLogprobs b = new TokenLogprobs();
            assertThat(fromBest.takeCandidates(best, b)).isEqualTo(fromRow.sample(logits, a));
            assertThat(b.logprob()).isCloseTo(a.logprob(), within(1e-9));
            assertThat(b.topCount()).isEqualTo(a.topCount());
            for (int r = 0; r < a.topCount(); r++) {
                assertThat(b.topId(r)).isEqualTo(a.topId(r));
            }
        }
    }

    @Test
    void aGreedyDrawIsCertainAndTheWholeRowCountsWithoutFilters() {
        float[] logits = Logits.normal(VOCAB, 2, 3);
        TokenLogprobs greedy = new TokenLogprobs();
        int best = new Sampler(SamplingParams.builder().temperature(0).logprobs(5).postSamplingLogprobs(true).build(),
                VOCAB).sample(logits, greedy);
        assertThat(greedy.logprob()).isZero();
        assertThat(greedy.topCount()).isEqualTo(1);
        assertThat(greedy.topId(0)).isEqualTo(best);
        // no filter: the whole row at temperature 2
        TokenLogprobs hot = new TokenLogprobs();
        int token = new Sampler(SamplingParams.builder().temperature(2).seed(5L).logprobs(3).postSamplingLogprobs(true)
                .build(), VOCAB).sample(logits, hot);
        double[] want = topKSoftmax(logits, VOCAB, 2);
        assertThat(Math.exp(hot.logprob())).isCloseTo(want[token], within(1e-5));
        assertThat(hot.topCount()).isEqualTo(3);
        assertThat(Math.exp(hot.topLogprob(0))).isCloseTo(java.util.Arrays.stream(want).max().orElseThrow(),
                within(1e-5));
    }
}
