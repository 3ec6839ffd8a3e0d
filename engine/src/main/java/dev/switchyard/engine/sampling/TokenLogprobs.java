package dev.switchyard.engine.sampling;

import dev.switchyard.kernels.cpu.LogitMath;
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
    private int rank;
    private double logNormalizer = Double.NaN;
    private int topCount;

    /** The sampled token, -1 before the first fill. */
    public int token() {
        return token;
    }

    /** ln P(token) under the raw distribution. */
    public double logprob() {
        return logprob;
    }

    /**
     * 1 plus the number of tokens the model finds strictly more probable than this one (so the most
     * probable has rank 1, and tied tokens share a rank).
     */
    public int rank() {
        return rank;
    }

    /**
     * {@code ln sum(exp(logit))} of the row {@link #fill} read, so that any token's log-probability
     * is its logit minus this; NaN where the values came from a row's best tokens alone.
     */
    public double logNormalizer() {
        return logNormalizer;
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

    void setChosen(int chosenToken, double chosenLogprob, int chosenRank) {
        token = chosenToken;
        logprob = chosenLogprob;
        rank = chosenRank;
        logNormalizer = Double.NaN;
    }

    /**
     * Fills this from a row of raw logits: {@code token}'s log-probability and rank, and the
     * {@code wanted} most probable tokens (ties by lower id). Sums run in double after subtracting
     * the row's maximum ({@link LogitMath}: the CPU backend's best-token search sums the same way, so
     * both report the same bits), and every token of one row is reported against the same normalizer.
     *
     * @param vocabSize how many of {@code raw}'s entries are the row
     */
    public void fill(float[] raw, int vocabSize, int token, int wanted) {
        Objects.checkIndex(token, vocabSize);
        float max = Float.NEGATIVE_INFINITY;
        int above = 0;
        float mine = raw[token];
        for (int i = 0; i < vocabSize; i++) {
            float v = raw[i];
            max = Math.max(max, v);
            if (v > mine) {
                above++;
            }
        }
        double logZ = Math.log(LogitMath.sumExp(raw, 0, vocabSize, max));
        setChosen(token, (double) mine - max - logZ, above + 1);
        logNormalizer = max + logZ;

        // Top-N by insertion into a sorted run of at most 20; scanning ids upwards with strict
        // comparisons keeps equal logits in id order.
        int limit = Math.min(Math.min(wanted, vocabSize), topIds.length);
        int count = 0;
        for (int id = 0; id < vocabSize && limit > 0; id++) {
            float v = raw[id];
            if (count == limit) {
                if (!(v > raw[topIds[count - 1]])) {
                    continue;
                }
                count--;
            }
            int pos = count++;
            while (pos > 0 && v > raw[topIds[pos - 1]]) {
                topIds[pos] = topIds[pos - 1];
                pos--;
            }
            topIds[pos] = id;
        }
        for (int i = 0; i < count; i++) {
            topLogprobs[i] = (double) raw[topIds[i]] - max - logZ;
        }
        topCount = count;
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
        StringBuilder sb = new StringBuilder("TokenLogprobs[token=").append(token).append(", logprob=").append(logprob)
                .append(", rank=").append(rank);
        sb.append(", top=[");
        for (int i = 0; i < topCount; i++) {
            sb.append(i == 0 ? "" : ", ").append(topIds[i]).append('=').append(topLogprobs[i]);
        }
        return sb.append("]]").toString();
    }
}
