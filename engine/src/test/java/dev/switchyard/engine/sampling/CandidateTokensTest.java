package dev.switchyard.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.cpu.CpuBackend;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A backend's best tokens of a row stand in for the row exactly when bias and penalties are off and
 * the sampler is greedy or cut by top-k; then the sampler takes from them the token, the random draw
 * and the log-probabilities that sampling the row gives, bit for bit on the CPU backend, token after
 * token of one random stream.
 */
class CandidateTokensTest {

    private static final int VOCAB = 5000;

    private static int needed(SamplingParams p, int vocab) {
        return new Sampler(p, vocab).candidatesNeeded();
    }

    @Test
    void greedyAndTopKSamplersNeedOnlyTheirBestTokens() {
        assertThat(needed(SamplingParams.greedy(), VOCAB)).isEqualTo(1);
        assertThat(needed(SamplingParams.builder().temperature(0).logprobs(0).build(), VOCAB)).isEqualTo(1);
        assertThat(needed(SamplingParams.builder().temperature(0).logprobs(5).build(), VOCAB)).isEqualTo(5);
        assertThat(needed(SamplingParams.builder().temperature(0).logprobs(20).build(), 12)).isEqualTo(12);
        assertThat(needed(SamplingParams.builder().topK(40).build(), VOCAB)).isEqualTo(40);
        assertThat(needed(SamplingParams.builder().topK(40).topP(0.5).minP(0.1).logprobs(20).build(), VOCAB))
                .isEqualTo(40);
        assertThat(needed(SamplingParams.builder().topK(4).logprobs(20).build(), VOCAB)).isEqualTo(20);
        assertThat(needed(SamplingParams.builder().topK(Sampler.MAX_CANDIDATES).build(), VOCAB))
                .isEqualTo(Sampler.MAX_CANDIDATES);
        SamplingParams[] needRows = {
            SamplingParams.defaults(),
            SamplingParams.builder().topP(0.9).build(),
            SamplingParams.builder().minP(0.05).build(),
            SamplingParams.builder().topK(Sampler.MAX_CANDIDATES + 1).build(),
            SamplingParams.builder().topK(VOCAB).build(),
            SamplingParams.builder().temperature(0).logitBias(Map.of(7, 5.0)).build(),
            SamplingParams.builder().topK(10).logitBias(Map.of(7, -5.0)).build(),
            SamplingParams.builder().temperature(0).repetitionPenalty(1.3).build(),
            SamplingParams.builder().topK(10).presencePenalty(0.5).build(),
        };
        for (SamplingParams p : needRows) {
            Sampler s = new Sampler(p, VOCAB);
            assertThat(s.candidatesNeeded()).as("%s", p).isZero();
            RowCandidates c = new RowCandidates().view(new int[] {1}, new float[] {0f}, 0, 1, 0.0);
            assertThatThrownBy(() -> s.takeCandidates(c, new TokenLogprobs())).isInstanceOf(IllegalStateException.class);
        }
    }

    /** Rows of logits: spread, peaked, tied at the top and across the top-k cut, half masked. */
    private static float[][] rows(int count) {
        float[][] rows = new float[count][];
        for (int r = 0; r < count; r++) {
            rows[r] = Logits.normal(VOCAB, 1 + r % 5, 40 + r);
            switch (r % 4) {
                case 1 -> rows[r][4000] = rows[r][17] = 1e4f;                    // a tie at the top
                case 2 -> {
                    for (int i = 0; i < VOCAB; i += 50) {
                        rows[r][i] = 9f;                                        // 100 tied, across the cut
                    }
                }
                case 3 -> Arrays.fill(rows[r], 0, VOCAB / 2, Float.NEGATIVE_INFINITY);
                default -> { }
            }
        }
        return rows;
    }

    @Test
    void theBestTokensGiveWhatSamplingTheRowGives() {
        int steps = 12;
        float[][] rows = rows(steps);
        SamplingParams[] samplers = {
            SamplingParams.greedy(),
            SamplingParams.builder().temperature(0).logprobs(20).build(),
            SamplingParams.builder().topK(1).seed(3L).build(),
            SamplingParams.builder().topK(40).seed(11L).logprobs(2).build(),
            SamplingParams.builder().temperature(0.7).topK(50).topP(0.9).seed(5L).logprobs(0).build(),
            SamplingParams.builder().temperature(1.5).topK(128).minP(0.02).seed(9L).logprobs(20).build(),
            SamplingParams.builder().temperature(0.2).topK(100).topP(0.3).minP(0.2).seed(13L).build(),
        };
        try (CpuBackend cpu = new CpuBackend(2)) {
            FloatMatrix m = cpu.allocate(steps, VOCAB);
            for (int r = 0; r < steps; r++) {
                m.writeRow(r, rows[r]);
            }
            for (SamplingParams p : samplers) {
                Sampler fromRows = new Sampler(p, VOCAB);
                Sampler fromCandidates = new Sampler(p, VOCAB, new SamplingScratch(VOCAB));
                int count = fromCandidates.candidatesNeeded();
                int[] ids = new int[steps * count];
                float[] values = new float[steps * count];
                double[] logZ = new double[steps];
                cpu.topRows(m, steps, count, ids, values, logZ);
                RowCandidates candidates = new RowCandidates();
                for (int r = 0; r < steps; r++) {
                    TokenLogprobs sampled = new TokenLogprobs();
                    TokenLogprobs taken = new TokenLogprobs();
                    int expected = fromRows.sample(rows[r], sampled);
                    candidates.view(ids, values, r * count, count, logZ[r]);
                    assertThat(fromCandidates.takeCandidates(candidates, taken)).as("%s, row %d", p, r)
                            .isEqualTo(expected);
                    assertThat(taken).as("%s, row %d", p, r).hasToString(sampled.toString());
                }
            }
        }
    }

    @Test
    void tooFewCandidatesOrOnesOutsideTheVocabularyAreRefused() {
        Sampler topK = new Sampler(SamplingParams.builder().topK(3).build(), VOCAB);
        RowCandidates two = new RowCandidates().view(new int[] {4, 5}, new float[] {2f, 1f}, 0, 2, 0.5);
        assertThatThrownBy(() -> topK.takeCandidates(two, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("best 3 tokens, got 2");
        Sampler greedy = new Sampler(SamplingParams.greedy(), VOCAB);
        RowCandidates outside = new RowCandidates().view(new int[] {VOCAB}, new float[] {1f}, 0, 1, 0.0);
        assertThatThrownBy(() -> greedy.takeCandidates(outside, null)).isInstanceOf(IllegalArgumentException.class);
        RowCandidates negative = new RowCandidates().view(new int[] {-1}, new float[] {1f}, 0, 1, 0.0);
        assertThatThrownBy(() -> greedy.takeCandidates(negative, null)).isInstanceOf(IllegalArgumentException.class);
    }
}
