package dev.switchyard.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Mirostat draws only from the tokens its bound allows (version 2: surprise at most mu; version 1:
 * the top k its Zipf fit gives), moves mu by eta times each draw's error, and so holds the
 * reply's average surprise near the target tau.
 */
class MirostatTest {

    private static final double LN2 = Math.log(2);

    private static SamplingParams mirostat(int version, double tau, double eta, double temperature) {
        return SamplingParams.builder().temperature(temperature).seed(17L).extras(new SamplerExtras(1, 0, 0, 0.1, null,
                new SamplerExtras.Mirostat(version, tau, eta), null, SamplerExtras.WHOLE_TEXT)).build();
    }

    /** Zipf-like logits (the rank's probability ~ rank^-exponent) over shuffled ids. */
    private static float[] zipf(int vocab, double exponent, long seed) {
        int[] ids = new int[vocab];
        Arrays.setAll(ids, i -> i);
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = vocab - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = ids[i];
            ids[i] = ids[j];
            ids[j] = t;
        }
        float[] logits = new float[vocab];
        for (int rank = 0; rank < vocab; rank++) {
            logits[ids[rank]] = (float) (-exponent * Math.log(rank + 1));
        }
        return logits;
    }

    /** ln softmax of the logits at temperature t. */
    private static double[] logProbabilities(float[] logits, double t) {
        float[] scaled = new float[logits.length];
        for (int i = 0; i < logits.length; i++) {
            scaled[i] = (float) (logits[i] / t);
        }
        return Logits.logSoftmax(scaled);
    }

    /** Token ids by descending probability, lower id first among ties. */
    private static Integer[] byRank(float[] logits) {
        Integer[] order = new Integer[logits.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : Integer.compare(a, b));
        return order;
    }

    @Test
    void versionTwoDrawsWithinTheSurpriseBoundAndLearnsFromEachDraw() {
        float[] logits = Logits.normal(1000, 2, 31);
        double t = 0.9;
        Sampler sampler = new Sampler(mirostat(2, 3, 0.1, t), logits.length);
        double[] lp = logProbabilities(logits, t);
        assertThat(sampler.mirostatMu()).isEqualTo(6.0);
        double surprises = 0;
        for (int step = 0; step < 2000; step++) {
            double mu = sampler.mirostatMu();
            int token = sampler.sample(logits);
            double kept = 0;
            for (double l : lp) {
                kept += -l / LN2 <= mu + 1e-6 ? Math.exp(l) : 0;
            }
            double surprise;
            if (kept == 0) {
                assertThat(token).as("nothing within the bound: the best").isEqualTo(byRank(logits)[0]);
                surprise = 0;
            } else {
                assertThat(-lp[token] / LN2).as("step %d", step).isLessThanOrEqualTo(mu + 1e-4);
                surprise = -(lp[token] - Math.log(kept)) / LN2;
            }
            assertThat(sampler.mirostatMu()).isCloseTo(mu - 0.1 * (surprise - 3), within(1e-4));
            if (step >= 1000) {
                surprises += surprise;
            }
        }
        assertThat(surprises / 1000).as("average surprise").isCloseTo(3, within(0.3));
    }

    @Test
    void versionOneKeepsTheTopKOfItsZipfFitAndLearnsFromEachDraw() {
        int vocab = 5000;
        float[] logits = zipf(vocab, 1.1, 8);
        Integer[] rank = byRank(logits);
        int[] rankOf = new int[vocab];
        for (int r = 0; r < vocab; r++) {
            rankOf[rank[r]] = r;
        }
        double[] lp = logProbabilities(logits, 1);
        // the fit of ln(p_i / p_(i+1)) on ln((i + 2) / (i + 1)) over the 100 best recovers the exponent
        double products = 0;
        double squares = 0;
        for (int i = 0; i < 99; i++) {
            double x = Math.log((i + 2.0) / (i + 1.0));
            products += x * (lp[rank[i]] - lp[rank[i + 1]]);
            squares += x * x;
        }
        double s = products / squares;
        assertThat(s).isCloseTo(1.1, within(1e-4));
        Sampler sampler = new Sampler(mirostat(1, 5, 0.1, 1), vocab);
        double surprises = 0;
        for (int step = 0; step < 2000; step++) {
            double mu = sampler.mirostatMu();
            double e = s - 1;
            int k = (int) Math.min(vocab, Math.max(1, Math.pow(e * Math.pow(2, mu) / (1 - Math.pow(vocab, -e)), 1 / s)));
            int token = sampler.sample(logits);
            assertThat(rankOf[token]).as("step %d: within the top %d", step, k).isLessThan(k);
            double kept = 0;
            for (int r = 0; r < k; r++) {
                kept += Math.exp(lp[rank[r]]);
            }
            double surprise = -(lp[token] - Math.log(kept)) / LN2;
            assertThat(sampler.mirostatMu()).isCloseTo(mu - 0.1 * (surprise - 5), within(1e-3));
            if (step >= 1000) {
                surprises += surprise;
            }
        }
        assertThat(surprises / 1000).as("average surprise").isCloseTo(5, within(0.4));
    }

    @Test
    void itReplacesTheTruncationFiltersAndRepeatsUnderASeed() {
        float[] logits = Logits.normal(500, 1, 12);
        int best = byRank(logits)[0];
        SamplingParams withTopK = mirostat(2, 6, 0.1, 1).toBuilder().topK(1).build();
        Sampler first = new Sampler(withTopK, logits.length);
        Sampler second = new Sampler(withTopK, logits.length);
        boolean strays = false;
        for (int i = 0; i < 100; i++) {
            int token = first.sample(logits);
            assertThat(second.sample(logits)).isEqualTo(token);
            strays |= token != best;
        }
        assertThat(strays).as("top_k 1 would keep the best alone").isTrue();
        assertThat(first.candidatesNeeded()).isZero();
    }

    @Test
    void greedyDecodingIgnoresIt() {
        float[] logits = Logits.normal(500, 1, 13);
        Sampler greedy = new Sampler(mirostat(2, 1, 0.1, 0), logits.length);
        for (int i = 0; i < 10; i++) {
            assertThat(greedy.sample(logits)).isEqualTo(byRank(logits)[0]);
        }
        assertThat(greedy.mirostatMu()).isNaN();
    }

    @Test
    void aTargetBelowEveryTokensSurpriseTakesTheBest() {
        float[] logits = Logits.normal(500, 0.5, 14);
        Sampler sampler = new Sampler(mirostat(2, 0, 0.1, 1), logits.length);
        for (int i = 0; i < 20; i++) {
            assertThat(sampler.sample(logits)).isEqualTo(byRank(logits)[0]);
        }
        assertThat(sampler.mirostatMu()).isEqualTo(0.0);
    }

    @Test
    void outOfRangeSettingsAreRefusedByName() {
        assertThatThrownBy(() -> new SamplerExtras.Mirostat(3, 5, 0.1)).hasMessageStartingWith("mirostat must");
        assertThatThrownBy(() -> new SamplerExtras.Mirostat(2, -1, 0.1)).hasMessageStartingWith("mirostat_tau");
        assertThatThrownBy(() -> new SamplerExtras.Mirostat(2, 5, Double.NaN)).hasMessageStartingWith("mirostat_eta");
    }
}
