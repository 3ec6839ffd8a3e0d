package dev.switchyard.engine.sampling;

import java.util.Objects;

/**
 * The log-probabilities reported with one sampled token, reused from token to token so that asking
 * for them allocates nothing: {@link Sampler#sample(float[], TokenLogprobs)} overwrites it.
 *
 * <p>All values are natural logarithms of the model's raw distribution (softmax of the logits as the
 * model produced them), before logit bias, penalties, filters and temperature. A token whose raw logit
 * is -infinity has log-probability -infinity; the API layer decides how to print that.
 */
public final class TokenLogprobs {

    private final int[] topIds = new int[SamplingParams.MAX_LOGPROBS];
    private final double[] topLogprobs = new double[SamplingParams.MAX_LOGPROBS];
    private int token = -1;
    private double logprob = Double.NaN;
    private int topCount;

    /** The sampled token, -1 before the first fill. */
    public int token() {
        return token;
    }

    /** ln P(token) under the raw distribution. */
    public double logprob() {
        return logprob;
    }

    /** How many alternatives follow: min(requested, vocabulary size). */
    public int topCount() {
        return topCount;
    }

    /** The id of the {@code rank}-th most probable token (rank 0 is the most probable; ties by lower id). */
    public int topId(int rank) {
        return topIds[Objects.checkIndex(rank, topCount)];
    }

    /** ln P of the {@code rank}-th most probable token; non-increasing in {@code rank}. */
    public double topLogprob(int rank) {
        return topLogprobs[Objects.checkIndex(rank, topCount)];
    }

    void setChosen(int chosenToken, double chosenLogprob) {
        token = chosenToken;
        logprob = chosenLogprob;
    }

    int[] topIdsBuffer() {
        return topIds;
    }

    double[] topLogprobsBuffer() {
        return topLogprobs;
    }

    void setTopCount(int count) {
        topCount = count;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("TokenLogprobs[token=").append(token).append(", logprob=").append(logprob);
        sb.append(", top=[");
        for (int i = 0; i < topCount; i++) {
            sb.append(i == 0 ? "" : ", ").append(topIds[i]).append('=').append(topLogprobs[i]);
        }
        return sb.append("]]").toString();
    }
}
