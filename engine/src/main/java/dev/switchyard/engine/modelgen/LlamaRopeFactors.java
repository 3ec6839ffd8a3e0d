package dev.switchyard.engine.modelgen;

/**
 * Llama 3.1's long-context scaling of rotary frequencies, as the {@code rope_freqs} divisors its
 * GGUF files carry: a pair that turns fast (a wavelength under the original context over the high
 * frequency factor) keeps its frequency; one that turns slowly (a wavelength over the original
 * context over the low frequency factor) is slowed by the scaling factor; those between blend the
 * two smoothly by how many times they turn over the original context. Llama 3.1's numbers: factor 8,
 * low and high frequency factors 1 and 4, an original context of 8192.
 */
final class LlamaRopeFactors {

    static final double FACTOR = 8;
    static final double LOW_FREQUENCY_FACTOR = 1;
    static final double HIGH_FREQUENCY_FACTOR = 4;
    static final int ORIGINAL_CONTEXT = 8192;

    private LlamaRopeFactors() {
    }

    /** The divisor of each of the {@code dims / 2} pairs' frequency {@code base^(-2i / dims)}. */
    static float[] of(int dims, double base) {
        float[] divisors = new float[dims / 2];
        double longest = ORIGINAL_CONTEXT / LOW_FREQUENCY_FACTOR;
        double shortest = ORIGINAL_CONTEXT / HIGH_FREQUENCY_FACTOR;
        for (int i = 0; i < divisors.length; i++) {
            double frequency = Math.pow(base, -2.0 * i / dims);
            double wavelength = 2 * Math.PI / frequency;
            double scaled;
            if (wavelength < shortest) {
                scaled = frequency;
            } else if (wavelength > longest) {
                scaled = frequency / FACTOR;
            } else {
                double smooth = (ORIGINAL_CONTEXT / wavelength - LOW_FREQUENCY_FACTOR)
                        / (HIGH_FREQUENCY_FACTOR - LOW_FREQUENCY_FACTOR);
                scaled = (1 - smooth) * frequency / FACTOR + smooth * frequency;
            }
            divisors[i] = (float) (frequency / scaled);
        }
        return divisors;
    }
}
