package dev.switchyard.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.switchyard.engine.sampling.RowDistribution;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KlDivergenceTest {

    private static float[] row(SplittableRandom random, int vocab, double scale) {
        float[] r = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            r[i] = (float) (random.nextGaussian() * scale);
        }
        return r;
    }

    /** KL(p || q) over the whole vocabulary, straight from its definition. */
    private static double exact(float[] p, float[] q) {
        double np = RowDistribution.logNormalizer(p, p.length);
        double nq = RowDistribution.logNormalizer(q, q.length);
        double kl = 0;
        for (int i = 0; i < p.length; i++) {
            double lp = p[i] - np;
            kl += Math.exp(lp) * (lp - (q[i] - nq));
        }
        return kl;
    }

    /** The divergence as the perplexity tool sums it: over the base's best k tokens and the rest. */
    private static double overTop(float[] p, float[] q, int k) {
        int[] ids = new int[k];
        RowDistribution.top(p, p.length, k, new long[k], ids);
        double np = RowDistribution.logNormalizer(p, p.length);
        double nq = RowDistribution.logNormalizer(q, q.length);
        double[] lp = new double[k];
        double[] lq = new double[k];
        for (int i = 0; i < k; i++) {
            lp[i] = p[ids[i]] - np;
            lq[i] = q[ids[i]] - nq;
        }
        return KlDivergence.divergence(lp, lq, k);
    }

    @Test
    void overTheWholeVocabularyTheDivergenceIsExactAndOverFewerALowerBound() {
        SplittableRandom random = new SplittableRandom(3);
        for (int trial = 0; trial < 50; trial++) {
            int vocab = 100 + random.nextInt(300);
            float[] base = row(random, vocab, 3);
            float[] model = base.clone();
            for (int i = 0; i < vocab; i++) {
                model[i] += (float) (random.nextGaussian() * 0.5);
            }
            double exact = exact(base, model);
            assertThat(overTop(base, model, vocab)).isCloseTo(exact, within(1e-9 + 1e-9 * exact));
            double previous = 0;
            for (int k : new int[] {1, 4, 16, 64}) {
                double bound = overTop(base, model, k);
                assertThat(bound).as("k=%d", k).isLessThanOrEqualTo(exact + 1e-12).isGreaterThanOrEqualTo(previous - 1e-12);
                previous = bound;
            }
        }
    }

    @Test
    void aModelComparedWithItselfDivergesByNothing() {
        float[] r = row(new SplittableRandom(5), 200, 4);
        assertThat(overTop(r, r, 32)).isZero();
    }

    @Test
    void theTallySummarizesTokens() {
        KlDivergence kl = new KlDivergence();
        double[] divergences = {0.0, 0.1, 0.2, 0.3, 1.0};
        for (int i = 0; i < divergences.length; i++) {
            kl.add(divergences[i], Math.log(0.5), Math.log(i % 2 == 0 ? 0.5 : 0.25), i != 4);
        }
        assertThat(kl.count()).isEqualTo(5);
        assertThat(kl.meanDivergence()).isCloseTo(0.32, within(1e-12));
        assertThat(kl.divergencePercentile(1.0)).isEqualTo(1.0);
        assertThat(kl.divergencePercentile(0.5)).isEqualTo(0.2);
        assertThat(kl.divergencePercentile(0.0)).isEqualTo(0.0);
        assertThat(kl.sameTopFraction()).isCloseTo(0.8, within(1e-12));
        assertThat(kl.meanDeltaP()).isCloseTo(2 * -0.25 / 5, within(1e-12));
        assertThat(kl.rmsDeltaP()).isCloseTo(Math.sqrt(2 * 0.0625 / 5), within(1e-12));
        assertThat(kl.base().value()).isCloseTo(2.0, within(1e-12));
        assertThat(kl.divergenceError()).isPositive();
    }
}
