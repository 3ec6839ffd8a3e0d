package dev.switchyard.engine.sampling;

import dev.switchyard.kernels.cpu.LogitMath;
import java.util.Arrays;

/**
 * The truncation filters (top-k, top-p, min-p) over one vocabulary's adjusted logits, without
 * allocating and without sorting the whole vocabulary where it can be avoided.
 *
 * <p>Candidates are {@code long} keys packing (logit, id) so that ascending key order is descending
 * logit with ties broken by ascending id: the order "most probable first, lower id first among equals"
 * that every filter is defined on, compared as plain longs. All three filters keep a prefix of that
 * order, so their composition is the shortest of the three prefixes.
 *
 * <p>Costs per token, V = vocabulary size:
 * <ul>
 * <li>top-k: a bounded max-heap of k keys over one pass, O(V) compares plus O(k log k log(V/k))
 *     expected heap work, then a heapsort of the k survivors;</li>
 * <li>top-p without top-k: where a sample of every 64th token finds few within {@value #NEAR_BUCKETS}
 *     buckets of the best (a language model's peaked row), those alone are bucketed and partitioned
 *     below, the rest skipped by one branch-free pass, and the whole row only when the nucleus reaches
 *     further down; otherwise: one pass computing exp(logit - max) that also adds each token's mass into
 *     {@value #BUCKETS} buckets of 1/{@value #BUCKETS_PER_NAT} nat below the maximum; the bucket where
 *     the cumulative mass crosses p is the only one whose tokens need sorting (tokens of higher buckets
 *     are in the nucleus whatever their order, lower buckets are out). A boundary bucket of more than
 *     {@value #SORT_LIMIT} tokens is split again into {@value #BUCKETS} over its own logit range (up to
 *     {@value #MAX_REFINEMENTS} times), so a nearly flat distribution costs a few O(V) passes, not a
 *     sort. Only when the boundary tokens are still crowded after that (thousands of exactly tied
 *     logits, or adversarial spacing) is the remainder heapsorted: O(B log B) for B boundary tokens, up
 *     to a full sort of the vocabulary (about 25 ms at V = 152k on one core), the documented fallback;</li>
 * <li>min-p alone: one pass, no sort.</li>
 * </ul>
 */
final class CandidateFilters {

    static final int BUCKETS_PER_NAT = 16;
    /** 1024 buckets of 1/16 nat cover 64 nats (a probability ratio of 1.6e-28); the last takes the rest. */
    static final int BUCKETS = 1024;
    /** A boundary bucket with more tokens than this is split again, at most {@link #MAX_REFINEMENTS} times. */
    static final int SORT_LIMIT = 512;
    /** The buckets (16 nats) within which {@link #nucleus} first looks for its end. */
    static final int NEAR_BUCKETS = 256;
    private static final double NEAR_NATS = (double) NEAR_BUCKETS / BUCKETS_PER_NAT;
    static final int MAX_REFINEMENTS = 3;

    private CandidateFilters() {
    }

    /**
     * Ascending keys = descending logit, then ascending id. The logit must not be NaN; -0.0 counts as
     * 0.0 (as it does for {@code >} in the greedy argmax), so the two tie and the lower id wins.
     */
    static long key(float logit, int id) {
        int bits = Float.floatToRawIntBits(logit + 0.0f); // -0.0 + 0.0 == +0.0
        int ordered = bits ^ ((bits >> 31) & 0x7fffffff); // signed-int order == float order
        return ((long) ~ordered << 32) | id;
    }

    static int id(long key) {
        return (int) key;
    }

    /** Bucket of a token {@code d = logit - max <= 0} nats below the maximum. */
    static int bucket(double d) {
        double x = -d * BUCKETS_PER_NAT;
        return x < BUCKETS - 1 ? (int) x : BUCKETS - 1;
    }

    /** Top-k: leaves the k best tokens in {@code keys[0..k)}, best first. Requires 1 <= k <= vocab. */
    static void selectTopK(float[] logits, int vocab, int k, long[] keys) {
        for (int id = 0; id < k; id++) {
            keys[id] = key(logits[id], id);
        }
        for (int i = k / 2 - 1; i >= 0; i--) {
            siftDown(keys, 0, i, k);
        }
        // keys[0] is the worst of the k kept so far: only better tokens get in.
        for (int id = k; id < vocab; id++) {
            long key = key(logits[id], id);
            if (key < keys[0]) {
                keys[0] = key;
                siftDown(keys, 0, 0, k);
            }
        }
        sortHeap(keys, 0, k);
    }

    /**
     * Top-p then min-p over candidates already sorted best first (the output of top-k): returns how
     * many of {@code keys[0..count)} survive. Top-p probabilities are renormalized over all
     * {@code count} candidates. {@code weights[0..count)} is scratch.
     */
    static int cutSortedPrefix(float[] logits, long[] keys, int count, double topP, double logMinP,
            float[] weights) {
        float max = logits[id(keys[0])];
        int n = count;
        if (topP < 1) {
            double z = 0;
            for (int i = 0; i < count; i++) {
                float w = (float) LogitMath.exp((double) logits[id(keys[i])] - max);
                weights[i] = w;
                z += w;
            }
            double target = topP * z;
            double cumulative = 0;
            for (int i = 0; i < count; i++) {
                cumulative += weights[i];
                if (cumulative >= target) {
                    n = i + 1;
                    break;
                }
            }
        }
        for (int i = 1; i < n; i++) {
            if ((double) logits[id(keys[i])] - max < logMinP) {
                return i;
            }
        }
        return n;
    }

    /**
     * Top-p (and min-p) over the whole vocabulary, top-k being off: the survivors go to
     * {@code keys[0..n)}, n returned. {@code max} is the largest logit. The survivors are ordered by id
     * for those certainly in the nucleus, then by probability for those of the boundary bucket.
     */
    static int nucleus(float[] logits, int vocab, float max, double topP, double logMinP, SamplingScratch s) {
        float[] weights = s.weights;
        double[] mass = s.bucketMass;
        long[] keys = s.keys;
        int[] near = s.near;
        double z = LogitMath.expInto(logits, vocab, max, 1, weights);
        double target = topP * z;
        // A model's distribution is peaked: most tokens lie far below the best and the nucleus ends
        // near it. Where a sample of the row says so, only the tokens within NEAR_BUCKETS of the best
        // are bucketed first; when the nucleus ends among them the far ones cannot matter, and the
        // result is what bucketing every token gives (the same tokens in the same order, the same sums).
        float floor = (float) (max - NEAR_NATS);
        int candidates = vocab;
        int boundary = BUCKETS;
        if (fewNear(logits, vocab, floor)) {
            candidates = 0;
            for (int id = 0; id < vocab; id++) {
                // without a branch: near and far tokens may alternate
                near[candidates] = id;
                candidates += logits[id] > floor ? 1 : 0;
            }
            Arrays.fill(mass, 0);
            for (int i = 0; i < candidates; i++) {
                int id = near[i];
                mass[bucket((double) logits[id] - max)] += weights[id];
            }
            boundary = boundaryBucket(mass, 0, target);
            if (boundary >= NEAR_BUCKETS - 1) {
                candidates = vocab; // the nucleus reaches far down: every token counts
            }
        }
        if (candidates == vocab) {
            Arrays.fill(mass, 0);
            for (int id = 0; id < vocab; id++) {
                mass[bucket((double) logits[id] - max)] += weights[id];
            }
            boundary = boundaryBucket(mass, 0, target);
        }
        double before = massAbove(mass, boundary);
        // Certain members to the front in id order, boundary-bucket tokens to the back.
        int front = 0;
        int back = vocab;
        boolean all = candidates == vocab;
        for (int i = 0; i < candidates; i++) {
            int id = all ? i : near[i];
            double d = (double) logits[id] - max;
            if (d < logMinP) {
                continue;
            }
            int b = bucket(d);
            if (b < boundary) {
                keys[front++] = key(logits[id], id);
            } else if (b == boundary) {
                keys[--back] = key(logits[id], id);
            }
        }
        int n = front + (vocab - back);
        System.arraycopy(keys, back, keys, front, vocab - back);

        // A crowded boundary bucket (a flat distribution) is split again over its own logit range.
        for (int round = 0; round < MAX_REFINEMENTS && n - front > SORT_LIMIT; round++) {
            float hi = Float.NEGATIVE_INFINITY;
            float lo = Float.POSITIVE_INFINITY;
            for (int i = front; i < n; i++) {
                float l = logits[id(keys[i])];
                hi = Math.max(hi, l);
                if (l > Float.NEGATIVE_INFINITY) {
                    lo = Math.min(lo, l);
                }
            }
            if (!(hi > lo)) {
                break; // all tied (or masked): only the id order is left to sort by
            }
            double width = ((double) hi - lo) / BUCKETS;
            Arrays.fill(mass, 0);
            for (int i = front; i < n; i++) {
                int id = id(keys[i]);
                mass[subBucket(logits[id], hi, width)] += weights[id];
            }
            int sub = boundaryBucket(mass, before, target);
            before += massAbove(mass, sub);
            // Three-way partition of keys[front..n): certain | boundary | dropped.
            int certain = front;
            int kept = front;
            for (int i = front; i < n; i++) {
                long k = keys[i];
                int b = subBucket(logits[id(k)], hi, width);
                if (b < sub) {
                    keys[kept++] = keys[certain];
                    keys[certain++] = k;
                } else if (b == sub) {
                    keys[kept++] = k;
                }
            }
            front = certain;
            n = kept;
        }
        sort(keys, front, n);
        double cumulative = before;
        for (int i = front; i < n; i++) {
            cumulative += weights[id(keys[i])];
            if (cumulative >= target) {
                return i + 1;
            }
        }
        return n;
    }

    /** Whether fewer than an eighth of the tokens, judged by every 64th, lie above {@code floor}. */
    private static boolean fewNear(float[] logits, int vocab, float floor) {
        int seen = 0;
        int above = 0;
        for (int id = 0; id < vocab; id += 64) {
            seen++;
            above += logits[id] > floor ? 1 : 0;
        }
        return above * 8 < seen;
    }

    /** The first bucket at which {@code before} plus the cumulative mass reaches the target; the last if none. */
    private static int boundaryBucket(double[] mass, double before, double target) {
        double cumulative = before;
        for (int b = 0; b < BUCKETS; b++) {
            cumulative += mass[b];
            if (cumulative >= target) {
                return b;
            }
        }
        return BUCKETS - 1;
    }

    private static double massAbove(double[] mass, int bucket) {
        double sum = 0;
        for (int b = 0; b < bucket; b++) {
            sum += mass[b];
        }
        return sum;
    }

    /** Bucket of {@code logit} among {@link #BUCKETS} of {@code width} below {@code hi}. */
    private static int subBucket(float logit, float hi, double width) {
        double x = ((double) hi - logit) / width;
        return x < BUCKETS - 1 ? (int) x : BUCKETS - 1; // -infinity lands last
    }

    /** Min-p alone over the whole vocabulary: survivors to {@code keys[0..n)} in id order. */
    static int minP(float[] logits, int vocab, float max, double logMinP, long[] keys) {
        int n = 0;
        for (int id = 0; id < vocab; id++) {
            if ((double) logits[id] - max >= logMinP) {
                keys[n++] = key(logits[id], id);
            }
        }
        return n;
    }

    /** Ascending in-place heapsort of {@code a[from..to)}: O(n log n) worst case, no allocation. */
    static void sort(long[] a, int from, int to) {
        int n = to - from;
        for (int i = n / 2 - 1; i >= 0; i--) {
            siftDown(a, from, i, n);
        }
        sortHeap(a, from, to);
    }

    /** Turns the max-heap {@code a[from..to)} into ascending order. */
    private static void sortHeap(long[] a, int from, int to) {
        for (int end = to - from - 1; end > 0; end--) {
            long top = a[from];
            a[from] = a[from + end];
            a[from + end] = top;
            siftDown(a, from, 0, end);
        }
    }

    /** Max-heap sift-down of element {@code i} in the heap {@code a[base..base+size)}. */
    private static void siftDown(long[] a, int base, int i, int size) {
        long x = a[base + i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && a[base + child + 1] > a[base + child]) {
                child++;
            }
            if (a[base + child] <= x) {
                break;
            }
            a[base + i] = a[base + child];
            i = child;
        }
        a[base + i] = x;
    }
}
