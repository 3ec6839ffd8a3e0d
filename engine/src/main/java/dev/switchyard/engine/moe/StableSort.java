package dev.switchyard.engine.moe;

/**
 * An allocation-free stable sort of int indices by a caller's order: insertion sort on runs of eight,
 * then bottom-up merges through a scratch array of at least the range's length.
 */
final class StableSort {

    /** An order on int indices; negative when {@code x} comes before {@code y}. */
    @FunctionalInterface
    interface IndexOrder {
        int compare(int x, int y);
    }

    private static final int RUN = 8;

    private StableSort() {
    }

    static void sort(int[] a, int lo, int hi, int[] scratch, IndexOrder order) {
        int n = hi - lo;
        if (n < 2) {
            return;
        }
        for (int start = lo; start < hi; start += RUN) {
            int end = Math.min(start + RUN, hi);
            for (int x = start + 1; x < end; x++) {
                int v = a[x];
                int y = x - 1;
                while (y >= start && order.compare(a[y], v) > 0) {
                    a[y + 1] = a[y];
                    y--;
                }
                a[y + 1] = v;
            }
        }
        int[] src = a;
        int srcOff = lo;
        int[] dst = scratch;
        int dstOff = 0;
        for (int width = RUN; width < n; width *= 2) {
            for (int left = 0; left < n; left += 2 * width) {
                int mid = Math.min(left + width, n);
                int right = Math.min(left + 2 * width, n);
                int p = left;
                int q = mid;
                int o = left;
                while (p < mid && q < right) {
                    // take from the right run only when strictly earlier: stable
                    if (order.compare(src[srcOff + q], src[srcOff + p]) < 0) {
                        dst[dstOff + o++] = src[srcOff + q++];
                    } else {
                        dst[dstOff + o++] = src[srcOff + p++];
                    }
                }
                while (p < mid) {
                    dst[dstOff + o++] = src[srcOff + p++];
                }
                while (q < right) {
                    dst[dstOff + o++] = src[srcOff + q++];
                }
            }
            int[] t = src;
            src = dst;
            dst = t;
            int tOff = srcOff;
            srcOff = dstOff;
            dstOff = tOff;
        }
        if (src != a) {
            System.arraycopy(src, srcOff, a, lo, n);
        }
    }
}
