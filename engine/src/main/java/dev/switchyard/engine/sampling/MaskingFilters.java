package dev.switchyard.engine.sampling;

import java.util.Arrays;

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
     * distribution's entropy, closest first, until they hold {@code mass}; masks the rest.
     * {@code keys} holds at least {@code vocab} entries.
     */
    static void typical(float[] logits, int vocab, double mass, long[] keys) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[i]);
        }
        double z = 0;
        for (int i = 0; i < vocab; i++) {
            z += Math.exp((double) logits[i] - max);
        }
        double logZ = Math.log(z);
        double entropy = 0;
        for (int i = 0; i < vocab; i++) {
            double lp = logits[i] - max - logZ;
            if (lp > Double.NEGATIVE_INFINITY) {
                entropy -= Math.exp(lp) * lp;
            }
        }
        int n = 0;
        for (int i = 0; i < vocab; i++) {
            if (logits[i] > Float.NEGATIVE_INFINITY) {
                float distance = (float) Math.abs(-(logits[i] - max - logZ) - entropy);
                // non-negative floats order as their bits; ties by lower id
                keys[n++] = ((long) Float.floatToRawIntBits(distance) << 32) | i;
            }
        }
        Arrays.sort(keys, 0, n);
        double kept = 0;
        int keep = 0;
        while (keep < n && kept < mass) {
            int id = (int) keys[keep++];
            kept += Math.exp((double) logits[id] - max - logZ);
        }
        for (int k = keep; k < n; k++) {
            logits[(int) keys[k]] = Float.NEGATIVE_INFINITY;
        }
    }

    /**
     * XTC: when two or more tokens are at least {@code threshold} probable, masks all of them but
     * the least probable (the most probable choices give way to less obvious ones that still make
     * sense); otherwise changes nothing.
     */
    static void xtc(float[] logits, int vocab, double threshold) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[i]);
        }
        double z = 0;
        for (int i = 0; i < vocab; i++) {
            z += Math.exp((double) logits[i] - max);
        }
        // p >= threshold  <=>  logit >= max + ln(threshold * z)
        double floor = max + Math.log(threshold * z);
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
