package dev.switchyard.kernels.cpu;

/** Top-k selection for routing: allocation-free, O(n k), which suits k of a few and n of hundreds. */
public final class TopK {

    private TopK() {
    }

    /**
     * Writes the indices (relative to {@code offset}) and values of the {@code k} largest of
     * {@code scores[offset .. offset + n)} to {@code outIdx[0 .. k)} and {@code outVal[0 .. k)},
     * largest first; equal scores rank by lower index. NaN ranks below every number.
     */
    public static void topK(float[] scores, int offset, int n, int k, int[] outIdx, float[] outVal) {
        if (k < 0 || k > n || outIdx.length < k || outVal.length < k) {
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
            if (size == k && !above(v, outVal[k - 1])) {
                continue;
            }
            // Shift down everything strictly below v; equal values stay ahead (they have lower indices).
            int j = size < k ? size++ : k - 1;
            while (j > 0 && above(v, outVal[j - 1])) {
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
