package dev.switchyard.engine.sampling;

import dev.switchyard.kernels.cpu.LogitMath;

/**
 * One row of raw logits read as the model's distribution, for comparing two models token by token:
 * its log-normalizer and its most probable tokens. Sums run in double after subtracting the row's
 * maximum, as {@link TokenLogprobs} sums them.
 */
public final class RowDistribution {

    private RowDistribution() {
    }

    /**
     * {@code ln sum(exp(raw[i]))} over the first {@code vocab} entries, so that a token's natural-log
     * probability is {@code raw[id] - logNormalizer}.
     */
    public static double logNormalizer(float[] raw, int vocab) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, raw[i]);
        }
        return max + Math.log(LogitMath.sumExp(raw, 0, vocab, max));
    }

    /**
     * The {@code k} most probable tokens of the row, best first (equal logits by lower id), into
     * {@code ids[0..k)}; {@code scratch} holds at least {@code k} entries.
     */
    public static void top(float[] raw, int vocab, int k, long[] scratch, int[] ids) {
        if (k < 1 || k > vocab) {
            throw new IllegalArgumentException("cannot take the best " + k + " of " + vocab + " tokens");
        }
        CandidateFilters.selectTopK(raw, vocab, k, scratch);
        for (int i = 0; i < k; i++) {
            ids[i] = CandidateFilters.id(scratch[i]);
        }
    }
}
