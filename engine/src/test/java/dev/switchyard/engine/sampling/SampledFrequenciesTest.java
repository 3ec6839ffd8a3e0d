package dev.switchyard.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Sampled frequencies match the distribution the definitions give (Pearson's chi-square, fixed seeds). */
class SampledFrequenciesTest {

    private static final double[] P = {0.05, 0.4, 0.1, 0.3, 0.15};
    private static final int DRAWS = 20_000;
    /** Chi-square with 4 degrees of freedom exceeds this with probability 0.001. */
    private static final double CRITICAL_4_DOF = 18.467;

    private static double chiSquare(SamplingParams params, double[] expected) {
        float[] logits = Logits.ofProbabilities(P);
        Sampler sampler = new Sampler(params, logits.length);
        long[] counts = new long[logits.length];
        for (int i = 0; i < DRAWS; i++) {
            counts[sampler.sample(logits)]++;
        }
        double chi = 0;
        for (int i = 0; i < counts.length; i++) {
            if (expected[i] == 0) {
                assertThat(counts[i]).as("token %d is filtered out", i).isZero();
                continue;
            }
            double e = expected[i] * DRAWS;
            chi += (counts[i] - e) * (counts[i] - e) / e;
        }
        return chi;
    }

    private static double[] normalize(double[] weights) {
        double sum = 0;
        for (double w : weights) {
            sum += w;
        }
        double[] out = new double[weights.length];
        for (int i = 0; i < weights.length; i++) {
            out[i] = weights[i] / sum;
        }
        return out;
    }

    @Test
    void temperatureOneWithoutFiltersSamplesTheSoftmax() {
        for (long seed = 1; seed <= 3; seed++) {
            assertThat(chiSquare(SamplingParams.builder().seed(seed).build(), P)).isLessThan(CRITICAL_4_DOF);
        }
    }

    @Test
    void temperatureHalfSquaresTheProbabilities() {
        double[] squared = new double[P.length];
        for (int i = 0; i < P.length; i++) {
            squared[i] = P[i] * P[i];
        }
        double chi = chiSquare(SamplingParams.builder().seed(11L).temperature(0.5).build(), normalize(squared));
        assertThat(chi).isLessThan(CRITICAL_4_DOF);
    }

    @Test
    void topKRenormalizesOverTheSurvivors() {
        double[] kept = {0, 0.4, 0, 0.3, 0.15};
        double chi = chiSquare(SamplingParams.builder().seed(12L).topK(3).build(), normalize(kept));
        assertThat(chi).isLessThan(CRITICAL_4_DOF);
    }

    @Test
    void topPRenormalizesOverTheNucleus() {
        double[] kept = {0, 0.4, 0, 0.3, 0}; // 0.4 + 0.3 = 0.7 >= 0.6
        double chi = chiSquare(SamplingParams.builder().seed(13L).topP(0.6).build(), normalize(kept));
        assertThat(chi).isLessThan(CRITICAL_4_DOF);
    }
}
