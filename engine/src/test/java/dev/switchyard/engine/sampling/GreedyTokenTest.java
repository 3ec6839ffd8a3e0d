package dev.switchyard.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.cpu.CpuBackend;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A backend's greedy pick stands in for sampling the row exactly when the sampler would take the
 * plain argmax and report only its log-probability; then it gives the same token and the same
 * log-probability, bit for bit on the CPU backend.
 */
class GreedyTokenTest {

    private static final int VOCAB = 5000;

    @Test
    void onlyPlainGreedySamplersTakeTheBackendsPick() {
        assertThat(new Sampler(SamplingParams.greedy(), VOCAB).needsOnlyGreedyToken()).isTrue();
        assertThat(new Sampler(SamplingParams.builder().temperature(0).logprobs(0).build(), VOCAB).needsOnlyGreedyToken())
                .isTrue();
        SamplingParams[] needRows = {
            SamplingParams.defaults(),
            SamplingParams.builder().temperature(0).logprobs(3).build(),
            SamplingParams.builder().temperature(0).logitBias(Map.of(7, 5.0)).build(),
            SamplingParams.builder().temperature(0).repetitionPenalty(1.3).build(),
            SamplingParams.builder().temperature(0).presencePenalty(0.5).build(),
        };
        for (SamplingParams p : needRows) {
            Sampler s = new Sampler(p, VOCAB);
            assertThat(s.needsOnlyGreedyToken()).as("%s", p).isFalse();
            assertThatThrownBy(() -> s.takeGreedy(1, -0.5, new TokenLogprobs())).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void theBackendsPickEqualsSamplingTheRow() {
        try (CpuBackend cpu = new CpuBackend(2)) {
            FloatMatrix m = cpu.allocate(8, VOCAB);
            float[][] rows = new float[8][];
            for (int r = 0; r < 8; r++) {
                rows[r] = Logits.normal(VOCAB, 1 + r, 40 + r);
                if (r == 5) {
                    rows[r][4000] = rows[r][17] = 1e4f; // a tie: the lower id
                }
                m.writeRow(r, rows[r]);
            }
            int[] tokens = new int[8];
            double[] logprobs = new double[8];
            cpu.greedyRows(m, 8, tokens, logprobs);
            for (int logprobsAsked : new int[] {SamplingParams.NO_LOGPROBS, 0}) {
                SamplingParams p = SamplingParams.builder().temperature(0).logprobs(logprobsAsked).build();
                for (int r = 0; r < 8; r++) {
                    TokenLogprobs sampled = new TokenLogprobs();
                    TokenLogprobs taken = new TokenLogprobs();
                    int expected = new Sampler(p, VOCAB).sample(rows[r], sampled);
                    assertThat(new Sampler(p, VOCAB).takeGreedy(tokens[r], logprobs[r], taken)).isEqualTo(expected);
                    assertThat(taken.token()).isEqualTo(sampled.token());
                    assertThat(taken.logprob()).as("row %d", r).isEqualTo(sampled.logprob());
                    assertThat(taken.topCount()).isEqualTo(sampled.topCount()).isZero();
                }
            }
            assertThat(tokens[5]).isEqualTo(17);
        }
    }

    @Test
    void aTokenOutsideTheVocabularyIsRefused() {
        Sampler s = new Sampler(SamplingParams.greedy(), VOCAB);
        assertThatThrownBy(() -> s.takeGreedy(VOCAB, 0, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.takeGreedy(-1, 0, null)).isInstanceOf(IllegalArgumentException.class);
    }
}
