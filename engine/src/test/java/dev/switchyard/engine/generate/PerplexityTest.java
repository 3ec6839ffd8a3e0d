package dev.switchyard.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PerplexityTest {

    @Test
    void chunksAreWholeConsecutiveRunsOfTheContextStartingWithBos() {
        int[] tokens = IntStream.range(100, 135).toArray();
        List<int[]> chunks = Perplexity.chunks(tokens, 8, 0, 1);
        assertThat(chunks).hasSize(4); // 35 tokens: four whole chunks, the last 3 tokens left out
        assertThat(chunks.get(0)).containsExactly(1, 101, 102, 103, 104, 105, 106, 107);
        assertThat(chunks.get(3)).containsExactly(1, 125, 126, 127, 128, 129, 130, 131);
        assertThat(Perplexity.chunks(tokens, 8, 2, -1)).hasSize(2)
                .first().satisfies(c -> assertThat(c).startsWith(100, 101));
        assertThatThrownBy(() -> Perplexity.chunks(tokens, 36, 0, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("35 tokens, fewer than one chunk of 36");
        assertThatThrownBy(() -> Perplexity.chunks(tokens, 3, 0, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too short");
    }

    @Test
    void theSecondHalfOfEachChunkCountsAsLlamaCppCountsIt() {
        // llama.cpp scores logits first = n/2 .. n-2, i.e. tokens n/2 + 1 .. n - 1
        for (int context : new int[] {8, 9, 512}) {
            long counted = IntStream.range(0, context).filter(p -> Perplexity.counts(p, context)).count();
            assertThat(counted).isEqualTo(Perplexity.countedPerChunk(context)).isEqualTo(context - 1 - context / 2);
            assertThat(Perplexity.counts(context / 2, context)).isFalse();
            assertThat(Perplexity.counts(context / 2 + 1, context)).isTrue();
            assertThat(Perplexity.counts(context - 1, context)).isTrue();
        }
    }

    @Test
    void perplexityIsTheExponentialOfTheMeanNegativeLogLikelihoodWithItsStandardError() {
        Perplexity tally = new Perplexity();
        assertThat(tally.value()).isNaN();
        double[] logprobs = {-1.0, -2.0, -0.5, -3.5, -1.25};
        for (double lp : logprobs) {
            tally.add(lp);
        }
        double mean = (1.0 + 2.0 + 0.5 + 3.5 + 1.25) / 5;
        double variance = 0;
        for (double lp : logprobs) {
            variance += (-lp - mean) * (-lp - mean);
        }
        variance /= 5;
        assertThat(tally.count()).isEqualTo(5);
        assertThat(tally.value()).isCloseTo(Math.exp(mean), within(1e-12));
        assertThat(tally.uncertainty()).isCloseTo(Math.exp(mean) * Math.sqrt(variance / 4), within(1e-12));
        Perplexity certain = new Perplexity();
        certain.add(0);
        certain.add(0);
        assertThat(certain.value()).isEqualTo(1.0);
        assertThat(certain.uncertainty()).isZero();
    }
}
