package dev.switchyard.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * Dynamic temperature: each draw's temperature is {@code lo + (hi - lo) (H / ln n)^exponent} over
 * the entropy of the tokens the filters left, so a flat distribution is drawn at the top of the
 * range and a confident one towards the bottom.
 */
class DynamicTemperatureTest {

    private static final int VOCAB = 300;

    private static SamplingParams.Builder dynamic(double t, double range, double exponent) {
        return SamplingParams.builder().temperature(t).seed(9L).extras(new SamplerExtras(1, 0, 0, 0.1, null, null,
                new SamplerExtras.DynamicTemperature(range, exponent), SamplerExtras.WHOLE_TEXT));
    }

    /** The formula over the survivors' temperature-1 distribution; the request's own for a lone survivor. */
    private static double expected(float[] logits, int[] survivors, double t, double range, double exponent) {
        if (survivors.length < 2) {
            return t;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int id : survivors) {
            max = Math.max(max, logits[id]);
        }
        double z = 0;
        for (int id : survivors) {
            z += Math.exp(logits[id] - max);
        }
        double entropy = 0;
        for (int id : survivors) {
            double p = Math.exp(logits[id] - max) / z;
            entropy -= p * Math.log(p);
        }
        double lo = Math.max(0, t - range);
        double hi = t + range;
        return lo + (hi - lo) * Math.pow(entropy / Math.log(survivors.length), exponent);
    }

    @Test
    void theTemperatureFollowsTheSurvivorsEntropyByTheFormula() {
        for (long seed = 1; seed <= 20; seed++) {
            float[] logits = Logits.normal(VOCAB, 0.5 + seed * 0.2, seed);
            for (SamplingParams.Builder b : new SamplingParams.Builder[] {
                    dynamic(0.8, 0.5, 1), dynamic(1.2, 0.3, 2.5).topK(40), dynamic(0.7, 1.0, 0.5).topP(0.9).minP(0.01)}) {
                SamplingParams params = b.build();
                Sampler sampler = new Sampler(params, VOCAB);
                SamplerExtras.DynamicTemperature d = params.extras().dynamicTemperature();
                double want = expected(logits, sampler.candidates(logits), params.temperature(), d.range(), d.exponent());
                assertThat(sampler.drawTemperature(logits)).as("seed %d", seed).isCloseTo(want, within(1e-9));
                assertThat(want).isBetween(Math.max(0, params.temperature() - d.range()), params.temperature() + d.range());
            }
        }
        // a flat row is as uncertain as can be: the top of the range
        assertThat(new Sampler(dynamic(0.8, 0.5, 1).build(), VOCAB).drawTemperature(Logits.flat(VOCAB)))
                .isCloseTo(1.3, within(1e-9));
    }

    @Test
    void anExponentOfZeroDrawsAtTheTopOfTheRangeAsAPlainTemperatureWould() {
        float[] logits = Logits.normal(VOCAB, 2, 3);
        Sampler dyn = new Sampler(dynamic(0.5, 0.25, 0).build(), VOCAB);
        Sampler plain = new Sampler(SamplingParams.builder().temperature(0.75).seed(9L).build(), VOCAB);
        for (int i = 0; i < 200; i++) {
            assertThat(dyn.sample(logits)).isEqualTo(plain.sample(logits));
        }
    }

    @Test
    void aTemperatureThatComesToZeroTakesTheBestToken() {
        float[] logits = Logits.normal(VOCAB, 1, 4);
        int best = 0;
        for (int i = 1; i < VOCAB; i++) {
            best = logits[i] > logits[best] ? i : best;
        }
        // lo = 0 and a huge exponent: any entropy short of the maximum maps to 0
        Sampler cold = new Sampler(dynamic(0.5, 0.5, 1000).build(), VOCAB);
        Sampler plain = new Sampler(SamplingParams.builder().temperature(0.5).seed(9L).build(), VOCAB);
        boolean plainStrays = false;
        for (int i = 0; i < 100; i++) {
            assertThat(cold.sample(logits)).isEqualTo(best);
            plainStrays |= plain.sample(logits) != best;
        }
        assertThat(plainStrays).as("the plain temperature draws other tokens").isTrue();
    }

    @Test
    void itNeedsTheWholeRowAndGreedyIgnoresIt() {
        assertThat(new Sampler(dynamic(0.8, 0.5, 1).topK(5).build(), VOCAB).candidatesNeeded()).isZero();
        float[] logits = Logits.normal(VOCAB, 1, 5);
        Sampler greedy = new Sampler(dynamic(0, 0.5, 1).build(), VOCAB);
        Sampler plain = new Sampler(SamplingParams.greedy(), VOCAB);
        assertThat(greedy.sample(logits)).isEqualTo(plain.sample(logits));
    }

    @Test
    void outOfRangeSettingsAreRefusedByName() {
        assertThatThrownBy(() -> new SamplerExtras.DynamicTemperature(-0.1, 1)).hasMessageStartingWith("dynatemp_range");
        assertThatThrownBy(() -> new SamplerExtras.DynamicTemperature(0.5, Double.NaN))
                .hasMessageStartingWith("dynatemp_exponent");
    }
}
