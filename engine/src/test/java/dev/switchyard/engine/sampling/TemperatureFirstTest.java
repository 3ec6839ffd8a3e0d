package dev.switchyard.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Temperature first (a llama.cpp chain that lists it before the filters): the filters see the
 * distribution at the request's temperature, which is exactly sampling the row divided by T at
 * temperature 1 with the temperature last; the default order differs wherever a filter's cut
 * depends on the temperature.
 */
class TemperatureFirstTest {

    private static final int VOCAB = 400;

    private static SamplerExtras first(SamplerExtras extras) {
        return extras.withTemperatureFirst(true);
    }

    /** The row as the sampler scales it: times the inverse temperature, in float. */
    private static float[] scaled(float[] logits, double t) {
        float inverse = (float) (1 / t);
        float[] out = new float[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] * inverse;
        }
        return out;
    }

    private static int[] draws(Sampler sampler, float[] logits, int n) {
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = sampler.sample(logits);
        }
        return tokens;
    }

    @Test
    void theFiltersSeeTheRowAtTheRequestsTemperature() {
        SamplerExtras typical = new SamplerExtras(0.8, 0, 0, 0.1, null);
        SamplerExtras xtc = new SamplerExtras(1, 0, 1, 0.05, null);
        for (long seed = 1; seed <= 12; seed++) {
            float[] logits = Logits.normal(VOCAB, 1 + seed * 0.25, seed);
            double t = 0.4 + 0.15 * seed;
            for (SamplingParams.Builder b : new SamplingParams.Builder[] {
                    SamplingParams.builder().topP(0.8),
                    SamplingParams.builder().minP(0.05),
                    SamplingParams.builder().topK(50).topP(0.9).minP(0.01),
                    SamplingParams.builder().extras(typical),
                    SamplingParams.builder().topP(0.95).extras(xtc)}) {
                SamplingParams base = b.seed(seed).build();
                Sampler firstSampler = new Sampler(base.toBuilder().temperature(t).extras(first(base.extras())).build(),
                        VOCAB);
                Sampler reference = new Sampler(base.toBuilder().temperature(1).build(), VOCAB);
                assertThat(draws(firstSampler, logits, 64)).as("seed %d, T %.2f, %s", seed, t, base)
                        .containsExactly(draws(reference, scaled(logits, t), 64));
            }
        }
    }

    @Test
    void itDiffersFromTheDefaultOrderWhereTheCutDependsOnTheTemperature() {
        float[] logits = Logits.normal(VOCAB, 2, 5);
        SamplingParams hot = SamplingParams.builder().temperature(2.5).topP(0.5).seed(3L).build();
        java.util.Set<Integer> last = new java.util.HashSet<>();
        java.util.Set<Integer> firstSeen = new java.util.HashSet<>();
        Sampler defaultOrder = new Sampler(hot, VOCAB);
        Sampler temperatureFirst = new Sampler(hot.toBuilder().extras(first(hot.extras())).build(), VOCAB);
        for (int i = 0; i < 2000; i++) {
            last.add(defaultOrder.sample(logits));
            firstSeen.add(temperatureFirst.sample(logits));
        }
        // a hot temperature first flattens the row, so the same mass takes many more tokens
        assertThat(firstSeen.size()).isGreaterThan(2 * last.size());
    }

    @Test
    void greedyDecodingAndMirostatIgnoreIt() {
        float[] logits = Logits.normal(VOCAB, 2, 8);
        SamplingParams greedy = SamplingParams.builder().temperature(0).topP(0.5).build();
        assertThat(new Sampler(greedy.toBuilder().extras(first(greedy.extras())).build(), VOCAB).sample(logits))
                .isEqualTo(new Sampler(greedy, VOCAB).sample(logits));
        SamplerExtras mirostat = new SamplerExtras(1, 0, 0, 0.1, null, new SamplerExtras.Mirostat(2, 4, 0.1), null,
                SamplerExtras.WHOLE_TEXT);
        SamplingParams steered = SamplingParams.builder().temperature(0.7).seed(4L).extras(mirostat).build();
        assertThat(draws(new Sampler(steered.toBuilder().extras(first(mirostat)).build(), VOCAB), logits, 50))
                .containsExactly(draws(new Sampler(steered, VOCAB), logits, 50));
    }
}
