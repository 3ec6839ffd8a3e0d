package dev.switchyard.engine.sampling;

/**
 * The filters of {@link SamplerExtras} that keep some tokens and mask the rest (logit set to
 * -infinity), each over the whole row at temperature 1: top-n-sigma, locally typical sampling and
 * XTC. Each leaves at least one token.
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

    /**
     * Locally typical sampling: keeps the tokens whose surprise ({@code -ln p}) is closest to the
     * distribution's entropy, closest first (equally close ones by lower id), until they hold
     * {@code mass}; masks the rest. Instead of sorting, the cut is found by bisecting the distance
     * (about 31 passes over the kept candidates, nothing allocated). {@code keys} and {@code probs}
     * hold at least {@code vocab} entries.
     */
    static void typical(float[] logits, int vocab, double mass, long[] keys, float[] probs) {
        double norm = RowDistribution.logNormalizer(logits, vocab);
        double entropy = 0;
        for (int i = 0; i < vocab; i++) {
            double lp = logits[i] - norm;
            if (lp > Double.NEGATIVE_INFINITY) {
                entropy -= Math.exp(lp) * lp;
            }
        }
        int n = 0;
        for (int i = 0; i < vocab; i++) {
            if (logits[i] > Float.NEGATIVE_INFINITY) {
                double lp = logits[i] - norm;
                // a non-negative float's bits order as the float does
                keys[n] = ((long) Float.floatToRawIntBits((float) Math.abs(-lp - entropy)) << 32) | i;
                probs[n] = (float) Math.exp(lp);
                n++;
            }
        }
        // the smallest distance whose tokens, with all closer ones, hold the mass
        int lo = 0;
        int hi = Float.floatToRawIntBits(Float.POSITIVE_INFINITY);
        while (lo < hi) {
            int mid = lo + (hi - lo) / 2;
            if (massWithin(keys, probs, n, mid) >= mass) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        double kept = 0;
        for (int k = 0; k < n; k++) {
            if ((int) (keys[k] >>> 32) < lo) {
                kept += probs[k];
            }
        }
        // those at the cut's own distance, in id order, while the mass is short
        for (int k = 0; k < n; k++) {
            int bits = (int) (keys[k] >>> 32);
            if (bits == lo && kept < mass) {
                kept += probs[k];
            } else if (bits >= lo) {
                logits[(int) keys[k]] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    private static double massWithin(long[] keys, float[] probs, int n, int bits) {
        double m = 0;
        for (int k = 0; k < n; k++) {
            if ((int) (keys[k] >>> 32) <= bits) {
                m += probs[k];
            }
        }
        return m;
    }

    /**
     * XTC: when two or more tokens are at least {@code threshold} probable, masks all of them but
     * the least probable (the most probable choices give way to less obvious ones that still make
     * sense); otherwise changes nothing.
     */
    static void xtc(float[] logits, int vocab, double threshold) {
        // p >= threshold  <=>  logit >= ln(sum of exp(logits)) + ln(threshold)
        double floor = RowDistribution.logNormalizer(logits, vocab) + Math.log(threshold);
        int above = 0;
        int weakest = -1;
        for (int i = 0; i < vocab; i++) {
            if (logits[i] >= floor) {
                above++;
                if (weakest < 0 || logits[i] < logits[weakest]) {
                    weakest = i;
                }
            }
        }
        if (above < 2) {
            return;
        }
        for (int i = 0; i < vocab; i++) {
            if (logits[i] >= floor && i != weakest) {
                logits[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }
}
