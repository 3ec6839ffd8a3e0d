package dev.switchyard.kernels.cpu;

/**
 * Top-k selection, allocation-free, O(n k) at worst: for routing (k of a few, n of hundreds) and for
 * a row of logits's best tokens (k up to {@code Backend.MAX_TOP_ROWS}, where nearly every value is
 * turned away by one comparison with the worst kept so far).
 */
public final class TopK {

    private TopK() {
    }

    /**
     * Writes the indices (relative to {@code offset}) and values of the {@code k} largest of
     * {@code scores[offset .. offset + n)} to {@code outIdx[0 .. k)} and {@code outVal[0 .. k)},
     * largest first; equal scores rank by lower index. NaN ranks below every number.
     */
    public static void topK(float[] scores, int offset, int n, int k, int[] outIdx, float[] outVal) {
        topK(scores, offset, n, k, outIdx, outVal, 0);
    }

    /** As {@link #topK(float[], int, int, int, int[], float[])}, into {@code out[at .. at + k)}. */
    public static void topK(float[] scores, int offset, int n, int k, int[] outIdx, float[] outVal, int at) {
        if (k < 0 || k > n || at < 0 || outIdx.length - at < k || outVal.length - at < k) {
            throw new IllegalArgumentException("cannot pick " + k + " of " + n);
        }
        if (offset < 0 || offset + n > scores.length) {
            throw new IndexOutOfBoundsException("scores range " + offset + " + " + n + " of " + scores.length);
        }
        if (k == 0) {
            return;
        }
        int size = 0;
        for (int i = 0; i < n; i++) {
            float v = scores[offset + i];
            if (size == k && !above(v, outVal[at + k - 1])) {
                continue;
            }
            // Shift down everything strictly below v; equal values stay ahead (they have lower indices).
            int j = at + (size < k ? size++ : k - 1);
            while (j > at && above(v, outVal[j - 1])) {
                outVal[j] = outVal[j - 1];
                outIdx[j] = outIdx[j - 1];
                j--;
            }
            outVal[j] = v;
            outIdx[j] = i;
        }
    }

    /** a ranks strictly before b (NaN last). */
    private static boolean above(float a, float b) {
        if (Float.isNaN(b)) {
            return !Float.isNaN(a);
        }
        return a > b;
    }
}
