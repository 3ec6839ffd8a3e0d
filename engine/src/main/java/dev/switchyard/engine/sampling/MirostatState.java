package dev.switchyard.engine.sampling;

import dev.switchyard.kernels.cpu.LogitMath;
import java.util.random.RandomGenerator;

/**
 * One sequence's Mirostat ({@link SamplerExtras.Mirostat}): its running surprise bound {@code mu}
 * and the two ways of cutting the distribution with it. A draw records the chosen token's surprise
 * under the cut distribution; {@link #learn()} then moves {@code mu} towards the target, once per
 * emitted token (a token refused by an output format and drawn again counts once).
 *
 * <p>Nothing is allocated: candidates and weights live in the sampler's scratch.
 */
final class MirostatState {

    /** How many of the best tokens version 1 fits its Zipf exponent to (the paper's m). */
    static final int FITTED = 100;
    private static final double LN2 = Math.log(2);

    private final SamplerExtras.Mirostat settings;
    private final int vocabSize;
    private double mu;
    /** The surprise of the last choice, in bits, until it is learned; NaN when there is none. */
    private double surprise = Double.NaN;

    MirostatState(SamplerExtras.Mirostat settings, int vocabSize) {
        this.settings = settings;
        this.vocabSize = vocabSize;
        this.mu = 2 * settings.tau();
    }

    double mu() {
        return mu;
    }

    /** Moves {@code mu} by the last choice's error: {@code mu -= eta * (surprise - tau)}. */
    void learn() {
        if (!Double.isNaN(surprise)) {
            mu -= settings.eta() * (surprise - settings.tau());
            surprise = Double.NaN;
        }
    }

    /**
     * Draws a token from {@code work} (adjusted logits, -infinity for masked tokens) at inverse
     * temperature {@code inverseTemperature}, {@code best} its argmax.
     */
    int choose(float[] work, int best, double inverseTemperature, RandomGenerator random, SamplingScratch scratch) {
        return settings.version() == 2 ? boundedSurprise(work, best, inverseTemperature, random, scratch.weights)
                : estimatedTopK(work, best, inverseTemperature, random, scratch);
    }

    /**
     * Version 2: the tokens whose surprise is at most {@code mu}, {@code l >= logZ - mu ln 2} in
     * scaled logits; the best alone when even it is more surprising.
     */
    private int boundedSurprise(float[] work, int best, double inverseTemperature, RandomGenerator random,
                                float[] weights) {
        float max = work[best];
        double floor = Math.log(LogitMath.expInto(work, vocabSize, max, inverseTemperature, weights)) - mu * LN2;
        if (floor > 0) {
            surprise = 0;
            return best;
        }
        double total = 0;
        for (int i = 0; i < vocabSize; i++) {
            if (((double) work[i] - max) * inverseTemperature < floor) {
                weights[i] = 0;
            }
            total += weights[i];
        }
        int found = LogitMath.walk(weights, vocabSize, random.nextDouble() * total);
        int chosen = found >= 0 ? found : best; // rounding left the target at the top
        surprise = -Math.log(weights[chosen] / total) / LN2;
        return chosen;
    }

    /**
     * Version 1: fits the Zipf exponent {@code s} to the ratios of the {@value #FITTED} best
     * probabilities (least squares through the origin of {@code ln(p_i / p_(i+1))} on
     * {@code ln((i + 2) / (i + 1))}), then keeps the top {@code k = (e 2^mu / (1 - V^-e))^(1/s)} with
     * {@code e = s - 1}, at least one.
     */
    private int estimatedTopK(float[] work, int best, double inverseTemperature, RandomGenerator random,
                              SamplingScratch scratch) {
        long[] keys = scratch.keys;
        int fitted = Math.min(FITTED, vocabSize);
        CandidateFilters.selectTopK(work, vocabSize, fitted, keys);
        int finite = 0;
        while (finite < fitted && work[CandidateFilters.id(keys[finite])] > Float.NEGATIVE_INFINITY) {
            finite++;
        }
        double products = 0;
        double squares = 0;
        for (int i = 0; i + 1 < finite; i++) {
            double t = Math.log((i + 2.0) / (i + 1.0));
            double b = ((double) work[CandidateFilters.id(keys[i])] - work[CandidateFilters.id(keys[i + 1])])
                    * inverseTemperature;
            products += t * b;
            squares += t * t;
        }
        // fewer than the fitted ones are their first k, already in order
        int k = squares > 0 ? keptCount(products / squares) : 1;
        if (k > fitted && k < vocabSize) {
            CandidateFilters.selectTopK(work, vocabSize, k, keys);
        } else if (k >= vocabSize) {
            k = vocabSize;
            for (int i = 0; i < k; i++) {
                keys[i] = CandidateFilters.key(work[i], i);
            }
        }
        float max = work[best];
        float[] weights = scratch.weights;
        double total = 0;
        for (int i = 0; i < k; i++) {
            float w = (float) LogitMath.exp(((double) work[CandidateFilters.id(keys[i])] - max) * inverseTemperature);
            weights[i] = w;
            total += w;
        }
        int chosen = LogitMath.walk(weights, k, random.nextDouble() * total);
        if (chosen < 0) {
            // rounding left the target at the top: the last with any weight
            chosen = k - 1;
            while (weights[chosen] == 0) {
                chosen--;
            }
        }
        surprise = -Math.log(weights[chosen] / total) / LN2;
        return CandidateFilters.id(keys[chosen]);
    }

    /** The k of version 1 for the fitted exponent, in [1, vocabulary]. */
    private int keptCount(double s) {
        if (!(s > 0)) {
            return vocabSize; // a flat or rising head: no cut can be estimated
        }
        double e = s - 1;
        // e / (1 - V^-e) tends to 1 / ln V as e tends to 0
        double ratio = Math.abs(e) < 1e-9 ? 1 / Math.log(vocabSize) : e / (1 - Math.pow(vocabSize, -e));
        double k = Math.pow(ratio * Math.pow(2, mu), 1 / s);
        if (Double.isNaN(k) || k >= vocabSize) {
            return vocabSize;
        }
        return Math.max(1, (int) k);
    }
}
