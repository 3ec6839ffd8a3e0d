package dev.switchyard.engine.sampling;

import dev.switchyard.kernels.cpu.LogitMath;

/**
 * The filters of {@link SamplerExtras} that keep some tokens and mask the rest (logit set to
 * -infinity), at temperature 1: top-n-sigma and locally typical sampling over the whole row, XTC
 * over what the truncations left. Each leaves at least one token.
 */
final class MaskingFilters {

    private MaskingFilters() {
    }

    /** Top-n-sigma: masks every token whose logit is more than {@code n} standard deviations below the best. */
    static void topNSigma(float[] logits, int vocab, double n) {
        double sum = 0;
        double squares = 0;
        int finite = 0;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            float l = logits[i];
            if (l > Float.NEGATIVE_INFINITY) {
                sum += l;
                squares += (double) l * l;
                finite++;
                max = Math.max(max, l);
            }
        }
        if (finite < 2) {
            return;
        }
        double mean = sum / finite;
        double sigma = Math.sqrt(Math.max(0, squares / finite - mean * mean));
        double floor = max - n * sigma;
        for (int i = 0; i < vocab; i++) {
            if (logits[i] < floor) {
                logits[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** Buckets of distance to the entropy that {@link #typical} spreads the mass over. */
    static final int TYPICAL_BUCKETS = CandidateFilters.BUCKETS;

    /**
     * Locally typical sampling: keeps the tokens whose surprise ({@code -ln p}) is closest to the
     * distribution's entropy, closest first (equally close ones by lower id), until they hold
     * {@code mass}; masks the rest. Instead of sorting, the distances are spread over
     * {@value #TYPICAL_BUCKETS} buckets with their mass: the tokens of the buckets before the one
     * where the mass is reached are kept whatever their order, and only that bucket's tokens are
     * sorted (all of them only when the distances are all equal). {@code keys} and {@code probs}
     * hold at least {@code vocab} entries; {@code bucketMass} at least {@value #TYPICAL_BUCKETS}.
     */
    static void typical(float[] logits, int vocab, double mass, long[] keys, float[] probs, double[] bucketMass) {
        double norm = RowDistribution.logNormalizer(logits, vocab);
        double entropy = 0;
        for (int i = 0; i < vocab; i++) {
            double lp = logits[i] - norm;
            if (lp > Double.NEGATIVE_INFINITY) {
                double p = Math.exp(lp);
                entropy -= p * lp;
                probs[i] = (float) p;
            } else {
                probs[i] = 0;
            }
        }
        int n = 0;
        float farthest = 0;
        for (int i = 0; i < vocab; i++) {
            if (logits[i] > Float.NEGATIVE_INFINITY) {
                float distance = (float) Math.abs(-(logits[i] - norm) - entropy);
                farthest = Math.max(farthest, distance);
                // a non-negative float's bits order as the float does
                keys[n++] = ((long) Float.floatToRawIntBits(distance) << 32) | i;
            }
        }
        java.util.Arrays.fill(bucketMass, 0, TYPICAL_BUCKETS, 0);
        double scale = farthest > 0 ? TYPICAL_BUCKETS / (double) farthest : 0;
        for (int k = 0; k < n; k++) {
            bucketMass[bucket(keys[k], scale)] += probs[(int) keys[k]];
        }
        int boundary = 0;
        double kept = 0;
        while (boundary < TYPICAL_BUCKETS - 1 && kept + bucketMass[boundary] < mass) {
            kept += bucketMass[boundary++];
        }
        // the boundary bucket's tokens to the front, closest first; the nearer ones stay, the rest go
        int front = 0;
        for (int k = 0; k < n; k++) {
            long key = keys[k];
            int b = bucket(key, scale);
            if (b == boundary) {
                keys[k] = keys[front];
                keys[front++] = key;
            } else if (b > boundary) {
                logits[(int) key] = Float.NEGATIVE_INFINITY;
            }
        }
        CandidateFilters.sort(keys, 0, front);
        for (int k = 0; k < front; k++) {
            if (kept < mass) {
                kept += probs[(int) keys[k]];
            } else {
                logits[(int) keys[k]] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** The bucket of a typical-sampling key's distance; the farthest in the last. */
    private static int bucket(long key, double scale) {
        int b = (int) (Float.intBitsToFloat((int) (key >>> 32)) * scale);
        return Math.min(b, TYPICAL_BUCKETS - 1);
    }

    /**
     * XTC over the survivors of the truncations ({@code keys[0..count)}, or the whole row where
     * {@code keys} is null), {@code max} the row's largest logit: when two or more of them are at
     * least {@code threshold} probable, renormalized over the survivors, masks all of them but the
     * least probable (the most probable choices give way to less obvious ones that still make
     * sense); otherwise changes nothing.
     */
    static void xtc(float[] logits, int vocab, float max, long[] keys, int count, double threshold) {
        boolean all = keys == null;
        int n = all ? vocab : count;
        double total = 0;
        if (all) {
            total = LogitMath.sumExp(logits, 0, vocab, max);
        } else {
            for (int k = 0; k < n; k++) {
                total += LogitMath.exp((double) logits[CandidateFilters.id(keys[k])] - max);
            }
        }
        // p >= threshold  <=>  exp(logit - max) / total >= threshold
        double floor = max + Math.log(total * threshold);
        int above = 0;
        int weakest = -1;
        for (int k = 0; k < n; k++) {
            int id = all ? k : CandidateFilters.id(keys[k]);
            if (logits[id] >= floor) {
                above++;
                if (weakest < 0 || logits[id] < logits[weakest] || (logits[id] == logits[weakest] && id < weakest)) {
                    weakest = id;
                }
            }
        }
        if (above < 2) {
            return;
        }
        for (int k = 0; k < n; k++) {
            int id = all ? k : CandidateFilters.id(keys[k]);
            if (logits[id] >= floor && id != weakest) {
                logits[id] = Float.NEGATIVE_INFINITY;
            }
        }
    }
}
