package dev.switchyard.engine.generate;

import java.util.Arrays;

/**
 * How far a model's predictions are from a base model's on the same tokens (llama.cpp's
 * {@code --kl-divergence} figures): per token, the KL divergence of the model's distribution from the
 * base's, whether both rank the same token first, and how the probability of the token that came
 * changed; over all tokens, their means with standard errors, the divergence's percentiles, and both
 * models' perplexities.
 *
 * <p>The base is known by its most probable tokens ({@link #divergence}): the divergence is summed
 * exactly over them, and the rest of the vocabulary is counted as one outcome, which can only lower
 * the sum (the log-sum inequality): with enough tokens kept, a tight lower bound; with the whole
 * vocabulary kept, exact.
 */
public final class KlDivergence {

    private double[] values = new double[1024];
    private int count;
    private double sum;
    private double sumSquares;
    private long sameTop;
    private double deltaSum;
    private double deltaSquares;
    private final Perplexity base = new Perplexity();
    private final Perplexity model = new Perplexity();

    /**
     * KL(base || model) over one position: {@code baseLogprobs[i]} is the base's natural-log
     * probability of token {@code i}-th of its best, {@code modelLogprobs[i]} the model's of the same
     * token; whatever mass the listed tokens leave is one more outcome on each side.
     */
    public static double divergence(double[] baseLogprobs, double[] modelLogprobs, int n) {
        double kl = 0;
        double baseRest = 1;
        double modelRest = 1;
        for (int i = 0; i < n; i++) {
            double p = Math.exp(baseLogprobs[i]);
            kl += p * (baseLogprobs[i] - modelLogprobs[i]);
            baseRest -= p;
            modelRest -= Math.exp(modelLogprobs[i]);
        }
        // rounding may leave a hair of negative mass; a rest that small adds nothing worth counting
        if (baseRest > 1e-12) {
            kl += baseRest * (Math.log(baseRest) - Math.log(Math.max(modelRest, Double.MIN_NORMAL)));
        }
        return Math.max(0, kl);
    }

    /**
     * Adds one token: the divergence at its position, both models' log-probabilities of it, and
     * whether they rank the same token first.
     */
    public void add(double divergence, double baseLogprob, double modelLogprob, boolean sameTopToken) {
        if (count == values.length) {
            values = Arrays.copyOf(values, count * 2);
        }
        values[count++] = divergence;
        sum += divergence;
        sumSquares += divergence * divergence;
        if (sameTopToken) {
            sameTop++;
        }
        double delta = Math.exp(modelLogprob) - Math.exp(baseLogprob);
        deltaSum += delta;
        deltaSquares += delta * delta;
        base.add(baseLogprob);
        model.add(modelLogprob);
    }

    public int count() {
        return count;
    }

    public double meanDivergence() {
        return count == 0 ? Double.NaN : sum / count;
    }

    /** The standard error of {@link #meanDivergence()}. */
    public double divergenceError() {
        return standardError(sum, sumSquares);
    }

    /** The divergence below which {@code fraction} of the tokens lie (nearest rank). */
    public double divergencePercentile(double fraction) {
        if (count == 0) {
            return Double.NaN;
        }
        double[] sorted = Arrays.copyOf(values, count);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(fraction * count) - 1;
        return sorted[Math.max(0, Math.min(count - 1, rank))];
    }

    /** The fraction of tokens where both models rank the same token first. */
    public double sameTopFraction() {
        return count == 0 ? Double.NaN : (double) sameTop / count;
    }

    /** The mean of p_model(token) - p_base(token) over the tokens that came. */
    public double meanDeltaP() {
        return count == 0 ? Double.NaN : deltaSum / count;
    }

    /** The root mean square of p_model(token) - p_base(token). */
    public double rmsDeltaP() {
        return count == 0 ? Double.NaN : Math.sqrt(deltaSquares / count);
    }

    public Perplexity base() {
        return base;
    }

    public Perplexity model() {
        return model;
    }

    private double standardError(double s, double squares) {
        if (count < 2) {
            return Double.NaN;
        }
        double mean = s / count;
        return Math.sqrt(Math.max(0, squares / count - mean * mean) / (count - 1));
    }
}
