package dev.switchyard.kernels.format;

/**
 * The search the IQ1, IQ2 and IQ3 quantizers share: signs per group of eight, then for each
 * scale block the grid points and the scale with the least squared error.
 *
 * <p>This is Switchyard's own quantizer, simpler than ggml's (no importance weights, a fixed set of
 * trial scales, nearest points from a short candidate list): it writes valid files whose decoding
 * is exact, for the model generator and tests. The codecs' {@code dequantize} is the reference for
 * reading real files.
 */
final class IQQuantizer {

    /** Trial scales: the block's largest magnitude over the grid's largest level, times these. */
    private static final int STEPS = 16;
    private static final float FIRST_STEP = 0.55f;
    private static final float STEP = 0.05f;
    /** IQ1's shift of every value, plus or minus an eighth of the scale. */
    static final float IQ1_DELTA = 0.125f;

    private IQQuantizer() {
    }

    /**
     * The sign bits of {@code x[off .. off + 8)} (bit j set where value j is negative), with the
     * magnitudes written to {@code a}. Formats that store seven sign bits ({@code evenCount}) imply
     * the eighth from an even count of negatives; where the count is odd, the sign of the smallest
     * magnitude is flipped, the cheapest error to take.
     */
    static int signs(float[] x, float[] a, int off, boolean evenCount) {
        int bits = 0;
        int smallest = 0;
        for (int j = 0; j < 8; j++) {
            float v = x[off + j];
            a[off + j] = Math.abs(v);
            if (v < 0) {
                bits |= 1 << j;
            }
            if (Math.abs(v) < Math.abs(x[off + smallest])) {
                smallest = j;
            }
        }
        if (evenCount && (Integer.bitCount(bits) & 1) != 0) {
            bits ^= 1 << smallest;
        }
        return bits;
    }

    /**
     * Picks points for the magnitudes {@code a[off .. off + n)} at scale s (point i of the block to
     * {@code idx[i]}) and returns the squared error. {@code t} is scratch of {@code grid.dim()}.
     */
    static float encode(IQGrid grid, float[] a, int off, int n, float s, int[] idx, float[] t) {
        int dim = grid.dim();
        float err = 0f;
        for (int p = 0; p < n / dim; p++) {
            int base = off + p * dim;
            if (s == 0f) {
                idx[p] = 0;
                for (int j = 0; j < dim; j++) {
                    err += a[base + j] * a[base + j];
                }
                continue;
            }
            for (int j = 0; j < dim; j++) {
                t[j] = a[base + j] / s;
            }
            int e = grid.nearest(t, 0);
            idx[p] = e;
            for (int j = 0; j < dim; j++) {
                float diff = a[base + j] - s * grid.value(e, j);
                err += diff * diff;
            }
        }
        return err;
    }

    /** The scale with the least error for the magnitudes {@code a[off .. off + n)}: trial scales, then a refit. */
    static float bestScale(IQGrid grid, float[] a, int off, int n, int[] idx, float[] t) {
        float amax = 0f;
        for (int j = 0; j < n; j++) {
            amax = Math.max(amax, a[off + j]);
        }
        if (amax == 0f) {
            return 0f;
        }
        float best = bestTrial(amax / grid.maxLevel(), s -> encode(grid, a, off, n, s, idx, t));
        // Least squares for the points the best trial chose: often a little better.
        float bestErr = encode(grid, a, off, n, best, idx, t);
        double num = 0;
        double den = 0;
        int dim = grid.dim();
        for (int p = 0; p < n / dim; p++) {
            for (int j = 0; j < dim; j++) {
                int v = grid.value(idx[p], j);
                num += (double) a[off + p * dim + j] * v;
                den += (double) v * v;
            }
        }
        float refit = den > 0 ? (float) (num / den) : 0f;
        if (refit > 0 && Float.isFinite(refit) && encode(grid, a, off, n, refit, idx, t) < bestErr) {
            best = refit;
        }
        return best;
    }

    /**
     * IQ1: picks points for the values {@code x[off .. off + n)} at scale s, each group of eight
     * shifted by {@code +-IQ1_DELTA}: by {@code delta} (+1 or -1) for all, or where {@code delta} is 0
     * by whichever fits each group better (group g's choice to {@code negative[g]}, 1 for minus).
     * Returns the squared error.
     */
    static float encodeShifted(float[] x, int off, int n, float s, int delta, int[] idx, int[] negative, float[] t) {
        IQGrid grid = IQGrid.IQ1_S;
        float err = 0f;
        for (int g = 0; g < n / 8; g++) {
            int base = off + 8 * g;
            float bestErr = Float.POSITIVE_INFINITY;
            for (int sign = -1; sign <= 1; sign += 2) {
                if (delta != 0 && sign != delta) {
                    continue;
                }
                float shift = sign * IQ1_DELTA;
                int e = 0;
                if (s != 0f) {
                    for (int j = 0; j < 8; j++) {
                        t[j] = x[base + j] / s - shift;
                    }
                    e = grid.nearest(t, 0);
                }
                float gErr = 0f;
                for (int j = 0; j < 8; j++) {
                    float diff = x[base + j] - s * (grid.value(e, j) + shift);
                    gErr += diff * diff;
                }
                if (gErr < bestErr) {
                    bestErr = gErr;
                    idx[g] = e;
                    negative[g] = sign < 0 ? 1 : 0;
                }
            }
            err += bestErr;
        }
        return err;
    }

    /** IQ1's best scale for {@code x[off .. off + n)} under the shift rule of {@link #encodeShifted}. */
    static float bestShiftedScale(float[] x, int off, int n, int delta, int[] idx, int[] negative, float[] t) {
        float amax = 0f;
        for (int j = 0; j < n; j++) {
            amax = Math.max(amax, Math.abs(x[off + j]));
        }
        if (amax == 0f) {
            return 0f;
        }
        return bestTrial(amax / (1f + IQ1_DELTA), s -> encodeShifted(x, off, n, s, delta, idx, negative, t));
    }

    /** The trial scale {@code unit * (FIRST_STEP + STEP i)} with the least error; the first of equals. */
    private static float bestTrial(float unit, ErrorAt error) {
        float best = 0f;
        float bestErr = Float.POSITIVE_INFINITY;
        for (int i = 0; i < STEPS; i++) {
            float s = unit * (FIRST_STEP + STEP * i);
            float err = error.at(s);
            if (err < bestErr) {
                bestErr = err;
                best = s;
            }
        }
        return best;
    }

    /** A block scale's value for its stored code, against the super-block's d, as the decoder computes it. */
    @FunctionalInterface
    interface ScaleRule {
        float multiplier(float d, int code);
    }

    /** The squared error of a block encoded at a scale. */
    @FunctionalInterface
    interface ErrorAt {
        float at(float scale);
    }

    /**
     * The code (0 .. maxCode) whose scale is nearest the wanted one, or a neighbour of it where that
     * gives less error: rounding the scale alone need not round the error.
     */
    static int bestCode(float d, float wanted, int maxCode, ScaleRule rule, ErrorAt error) {
        int nearest = 0;
        for (int c = 1; c <= maxCode; c++) {
            if (Math.abs(rule.multiplier(d, c) - wanted) < Math.abs(rule.multiplier(d, nearest) - wanted)) {
                nearest = c;
            }
        }
        int best = nearest;
        float bestErr = Float.POSITIVE_INFINITY;
        for (int c = Math.max(0, nearest - 1); c <= Math.min(maxCode, nearest + 1); c++) {
            float err = error.at(rule.multiplier(d, c));
            if (err < bestErr) {
                bestErr = err;
                best = c;
            }
        }
        return best;
    }

    /** The largest of {@code s[0 .. n)}. */
    static float max(float[] s, int n) {
        float m = 0f;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, s[i]);
        }
        return m;
    }
}
