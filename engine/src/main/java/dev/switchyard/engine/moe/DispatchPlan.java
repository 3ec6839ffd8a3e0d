package dev.switchyard.engine.moe;

import java.util.Arrays;
import java.util.Objects;

/**
 * Capacity-aware top-k dispatch for one capacity group: which experts each token runs, and with what
 * weights, when every expert takes at most {@code C} of the group's assignments.
 *
 * <h2>Rules</h2>
 * For a group of {@code T} tokens routed top-{@code k} over {@code E} experts, the capacity is
 * <pre>
 *   C = max(1, ceil(gamma * (double) (T * k) / E))      (T * k exact; one multiply, one divide, in double)
 * </pre>
 * <ol>
 * <li><b>Top-k.</b> Each token first picks its {@code k} highest router probabilities, equal ones
 *     broken by the lower expert index; the slot {@code j} of the {@code j}-th best is its
 *     <em>rank</em>. {@link OverflowMode#NONE} stops here: the plain top-k, weights as the model has
 *     them, bit for bit what the dropless forward pass computes.</li>
 * <li><b>Competition.</b> The top-k assignments of each expert are ordered by, in turn:
 *     the token's probability for that expert (higher first); the token's position in its own sequence
 *     (earlier first); the token's tie key (lower first). The first {@code C} are kept, the rest
 *     <em>overflow</em>. Only top-k assignments compete; a later reroute never displaces one.</li>
 * <li><b>Drop</b> ({@link OverflowMode#DROP}): an overflowing assignment is dropped: expert
 *     {@code -1}, weight 0. The token keeps its other experts (and the residual path).</li>
 * <li><b>Reroute</b> ({@link OverflowMode#REROUTE}): the overflowing assignments are taken one by one
 *     in order of (position, rank, tie key), each moving to the expert with the token's highest
 *     probability among those that are neither in the token's top-k nor already rerouted to for this
 *     token and that have fewer than {@code C} assignments (equal probabilities: the lower expert index);
 *     that expert's load goes up by one. With no such expert the assignment is dropped. The rerouted
 *     assignment keeps its slot {@code j} and takes the new expert's probability as its score.</li>
 * <li><b>Weights.</b> With {@code normalizeTopK} each token's surviving scores are divided by their
 *     sum (accumulated in double in slot order, as the dropless path does), so they sum to one;
 *     without it they are the raw probabilities. A token that lost every assignment has all weights 0.</li>
 * </ol>
 * Nothing depends on the order of the rows passed in, nor on the row numbers themselves: permuting the
 * rows permutes the output, bit for bit. The tie key is the last resort of the order; two tokens of one
 * group may share a position only if their tie keys differ (tokens of one sequence never share one; in
 * batch scope the caller passes a request-scoped sequence id). Equal (position, tie key) pairs are
 * rejected, since no rule could order them. CUDA reproduces exactly these rules (without selection
 * keys, below: routing that needs them stays on the host)
 * ({@code kernels/src/main/cuda/moe_dispatch.cuh}, compared with this class on the host by the engine's
 * MoeDispatchHeaderMatchesCpuTest and on a GPU by CudaRoutingMatchesCpuTest).
 *
 * <h2>Selection keys</h2>
 * A router that ranks experts by something other than the probabilities that weigh them
 * (DeepSeek-V3: scores plus a per-expert selection bias, experts outside the token's best groups
 * out of reach) passes those keys beside the probabilities. Then the keys, not the probabilities,
 * pick each token's top-k and its reroute targets (an expert whose key is -infinity is never
 * picked); the competition for an expert still orders its tokens by their probabilities for it
 * (a per-expert bias would not change that order), and the weights are the probabilities, as
 * without keys.
 *
 * <p>A group of one token never overflows: {@code C >= 1} and its {@code k} experts are distinct, so
 * each has load 1. Decode tokens, each its own group in sequence scope, always run their plain top-k.
 *
 * <h2>Worked example</h2>
 * Four tokens of one sequence at positions 0..3, four experts, top-2, gamma 1: {@code C = ceil(1 * 8 / 4) = 2}.
 * <pre>
 *   probabilities   e0    e1    e2    e3       top-2 (rank 0, rank 1)
 *   t0 (pos 0)     .50   .30   .15   .05       e0 .50, e1 .30
 *   t1 (pos 1)     .40   .35   .05   .20       e0 .40, e1 .35
 *   t2 (pos 2)     .45   .10   .25   .20       e0 .45, e2 .25
 *   t3 (pos 3)     .40   .30   .10   .20       e0 .40, e1 .30
 *
 *   dropless loads  e0 4, e1 3, e2 1, e3 0    (load ratio 4 / (8/4) = 2)
 *
 *   competition     e0: t0 .50, t2 .45 | t1 .40, t3 .40     (keep 2; t1 before t3 by position)
 *                   e1: t1 .35, t0 .30 | t3 .30             (t0 and t3 tie at .30: t0 is earlier)
 *                   e2: t2 .25
 *   overflow        (t1 rank 0 e0), (t3 rank 0 e0), (t3 rank 1 e1)
 *
 *   drop            t0 [e0, e1]   t1 [-1, e1]   t2 [e0, e2]   t3 [-1, -1]      loads 2, 2, 1, 0
 *     normalized    t0 [.625 .375]  t1 [0 1]  t2 [.643 .357]  t3 [0 0]
 *
 *   reroute         loads before: e0 2, e1 2, e2 1, e3 0
 *                   t1 rank 0: not e0, e1 (its top-2); e2 .05, e3 .20        -> e3 (e3 load 1)
 *                   t3 rank 0: not e0, e1;             e2 .10, e3 .20        -> e3 (e3 load 2)
 *                   t3 rank 1: not e0, e1, e3;         e2 .10 (load 1 &lt; 2)  -> e2 (e2 load 2)
 *                   t0 [e0, e1]   t1 [e3, e1]   t2 [e0, e2]   t3 [e3, e2]      loads 2, 2, 2, 2
 *     normalized    t1 [.20/.55, .35/.55] = [.364 .636]   t3 [.20/.30, .10/.30] = [.667 .333]
 *     raw           t1 [.20 .35]   t3 [.20 .10]
 * </pre>
 *
 * <h2>Use</h2>
 * One planner per forward pass, built for the largest group; {@link #plan} allocates nothing. Not
 * thread-safe. Every call is also recorded in {@link #stats()}.
 */
public final class DispatchPlan {

    private final DispatchConfig config;
    private final int experts;
    private final int k;
    private final int maxTokens;
    private final DispatchStats stats = new DispatchStats();

    // per group token i (0..n) and per assignment a = i * k + j
    private final int[] topK;
    private final int[] assigned;
    private final int[] tokenRank;
    private final int[] tokenOrder;
    private final int[] bucket;
    private final int[] overflow;
    private final int[] scratch;
    // per expert
    private final int[] counts;
    private final int[] loads;
    private final int[] bucketStart;
    private final boolean[] excluded;

    // the call being planned, read by the sort orders
    private float[] probabilities;
    private float[] selection; // what ranks experts for a token: the probabilities unless given apart
    private int[] rows;
    private int from;
    private int[] positions;
    private int[] tieKeys;
    private int sortExpert;
    // built once, so sorting allocates nothing
    private final StableSort.IndexOrder byToken = this::compareTokens;
    private final StableSort.IndexOrder byCompetition = this::compareCompetitors;
    private final StableSort.IndexOrder byOverflow = this::compareOverflow;

    private int lastTokens;
    private int lastCapacity;
    private int lastDropped;
    private int lastRerouted;
    private int lastMaxLoad;
    private int lastDroplessMaxLoad;

    /**
     * @param config    the dispatch settings (mode, gamma, normalization; the scope is the caller's)
     * @param experts   the expert count {@code E}, at least 1
     * @param k         experts per token, 1..E
     * @param maxTokens the largest group to plan
     */
    public DispatchPlan(DispatchConfig config, int experts, int k, int maxTokens) {
        this.config = Objects.requireNonNull(config, "config");
        if (experts < 1) {
            throw new IllegalArgumentException("expert count must be at least 1; got " + experts);
        }
        if (k < 1 || k > experts) {
            throw new IllegalArgumentException("experts per token must be in 1.." + experts + "; got " + k);
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("a group holds at least one token; got maxTokens " + maxTokens);
        }
        this.experts = experts;
        this.k = k;
        this.maxTokens = maxTokens;
        int maxAssignments = Math.multiplyExact(maxTokens, k);
        topK = new int[maxAssignments];
        assigned = new int[maxAssignments];
        tokenRank = new int[maxTokens];
        tokenOrder = new int[maxTokens];
        bucket = new int[maxAssignments];
        overflow = new int[maxAssignments];
        scratch = new int[maxAssignments];
        counts = new int[experts];
        loads = new int[experts];
        bucketStart = new int[experts + 1];
        excluded = new boolean[experts];
    }

    /**
     * The capacity of each expert for a group of {@code tokens} tokens:
     * {@code max(1, ceil(gamma * (double) (tokens * k) / experts))}.
     */
    public static int capacity(double gamma, int tokens, int k, int experts) {
        double c = Math.ceil(gamma * (double) ((long) tokens * k) / experts);
        return Math.max(1, (int) c); // a double beyond int range saturates
    }

    /** {@link #plan(float[], int[], int, int[], int[], int, int[], float[])} with the group's rows from index 0. */
    public void plan(float[] probabilities, int[] rows, int[] positions, int[] tieKeys, int n,
                     int[] outExperts, float[] outWeights) {
        plan(probabilities, rows, 0, positions, tieKeys, n, outExperts, outWeights);
    }

    /**
     * Plans one capacity group. Everything indexed "per row" is indexed by the token's row {@code r} in
     * the step, the same numbering as {@code rows}.
     *
     * @param probabilities the router's softmax probabilities, {@code E} per row, row {@code r} at
     *                      {@code r * E}; finite and non-negative
     * @param rows          the group's rows are {@code rows[from..from+n)}, distinct, in any order
     * @param from          where the group starts in {@code rows}
     * @param positions     per row: the token's position in its own sequence
     * @param tieKeys       per row: the request-scoped key that orders tokens of different sequences
     *                      at the same position (a sequence id; never the row)
     * @param n             the group's token count {@code T}, 0..maxTokens
     * @param outExperts    per row {@code r}: its experts at {@code r * k + j}, {@code -1} for a
     *                      dropped assignment; rows outside the group are left as they are
     * @param outWeights    per row {@code r}: the weights at {@code r * k + j}, 0 for a dropped one
     * @throws IllegalArgumentException for a group larger than the planner, a row out of range, or two
     *                                  tokens with the same position and tie key
     */
    public void plan(float[] probabilities, int[] rows, int from, int[] positions, int[] tieKeys, int n,
                     int[] outExperts, float[] outWeights) {
        plan(probabilities, null, rows, from, positions, tieKeys, n, outExperts, outWeights);
    }

    /**
     * As {@link #plan(float[], int[], int, int[], int[], int, int[], float[])}, with {@code selection}
     * (laid out as the probabilities; null: the probabilities themselves) ranking each token's
     * experts for its top-k and reroutes. Keys may be negative; -infinity puts an expert out of the
     * token's reach. Every token must have at least {@code k} experts within reach.
     */
    public void plan(float[] probabilities, float[] selection, int[] rows, int from, int[] positions, int[] tieKeys,
                     int n, int[] outExperts, float[] outWeights) {
        if (n < 0 || n > maxTokens) {
            throw new IllegalArgumentException("group of " + n + " tokens; this planner takes 0.." + maxTokens);
        }
        Objects.checkFromIndexSize(from, n, rows.length);
        for (int i = 0; i < n; i++) {
            int r = rows[from + i];
            if (r < 0 || ((long) r + 1) * experts > probabilities.length
                    || (selection != null && ((long) r + 1) * experts > selection.length)
                    || ((long) r + 1) * k > outExperts.length
                    || ((long) r + 1) * k > outWeights.length || r >= positions.length || r >= tieKeys.length) {
                throw new IllegalArgumentException("row " + r + " is outside the step's arrays");
            }
        }
        this.probabilities = probabilities;
        this.selection = selection != null ? selection : probabilities;
        this.rows = rows;
        this.from = from;
        this.positions = positions;
        this.tieKeys = tieKeys;
        try {
            planGroup(n);
            writeOutput(n, outExperts, outWeights);
        } finally {
            this.probabilities = null;
            this.selection = null;
            this.rows = null;
            this.positions = null;
            this.tieKeys = null;
        }
    }

    private void planGroup(int n) {
        int capacity = capacity(config.gamma(), n, k, experts);
        int assignments = n * k;
        // 1. plain top-k per token
        for (int i = 0; i < n; i++) {
            selectTopK(rows[from + i] * experts, i * k);
        }
        System.arraycopy(topK, 0, assigned, 0, assignments);
        Arrays.fill(counts, 0);
        for (int a = 0; a < assignments; a++) {
            counts[topK[a]]++;
        }
        int droplessMax = 0;
        for (int e = 0; e < experts; e++) {
            droplessMax = Math.max(droplessMax, counts[e]);
        }
        int dropped = 0;
        int rerouted = 0;
        if (config.mode() != OverflowMode.NONE && n > 0) {
            rankTokens(n);
            // 2. competition: bucket the assignments by expert, keep each expert's C best
            bucketStart[0] = 0;
            for (int e = 0; e < experts; e++) {
                bucketStart[e + 1] = bucketStart[e] + counts[e];
                loads[e] = 0;
            }
            for (int a = 0; a < assignments; a++) {
                int e = topK[a];
                bucket[bucketStart[e] + loads[e]++] = a;
            }
            int overflowing = 0;
            for (int e = 0; e < experts; e++) {
                if (counts[e] <= capacity) {
                    continue;
                }
                sortExpert = e;
                StableSort.sort(bucket, bucketStart[e], bucketStart[e + 1], scratch, byCompetition);
                for (int s = bucketStart[e] + capacity; s < bucketStart[e + 1]; s++) {
                    int a = bucket[s];
                    assigned[a] = -1;
                    overflow[overflowing++] = a;
                }
                loads[e] = capacity;
            }
            // 3. reroute in (position, rank, tie key) order, or drop
            if (config.mode() == OverflowMode.REROUTE && overflowing > 0) {
                StableSort.sort(overflow, 0, overflowing, scratch, byOverflow);
                for (int o = 0; o < overflowing; o++) {
                    int a = overflow[o];
                    int e = rerouteTarget(a / k, capacity);
                    if (e >= 0) {
                        assigned[a] = e;
                        loads[e]++;
                        rerouted++;
                    } else {
                        dropped++;
                    }
                }
            } else {
                dropped = overflowing;
            }
        } else {
            System.arraycopy(counts, 0, loads, 0, experts);
        }
        int maxLoad = 0;
        for (int e = 0; e < experts; e++) {
            maxLoad = Math.max(maxLoad, loads[e]);
        }
        lastTokens = n;
        lastCapacity = capacity;
        lastDropped = dropped;
        lastRerouted = rerouted;
        lastMaxLoad = maxLoad;
        lastDroplessMaxLoad = droplessMax;
        if (n > 0) {
            stats.record(n, k, experts, dropped, rerouted, maxLoad, droplessMax);
        }
    }

    /** topK[out..out+k) = the k best experts of the row at {@code base}; equal ones to the lower index. */
    private void selectTopK(int base, int out) {
        for (int j = 0; j < k; j++) {
            int best = -1;
            float bestValue = Float.NEGATIVE_INFINITY;
            for (int e = 0; e < experts; e++) {
                float p = selection[base + e];
                if (p > bestValue && !chosenBefore(out, j, e)) {
                    best = e;
                    bestValue = p;
                }
            }
            if (best < 0) {
                throw new IllegalArgumentException(selection == probabilities
                        ? "router probabilities must be finite and non-negative"
                        : "a token has fewer than " + k + " experts within reach of its selection keys");
            }
            topK[out + j] = best;
        }
    }

    private boolean chosenBefore(int out, int count, int e) {
        for (int j = 0; j < count; j++) {
            if (topK[out + j] == e) {
                return true;
            }
        }
        return false;
    }

    /** tokenRank[i] = the place of token i in (position, tie key) order; rejects equal pairs. */
    private void rankTokens(int n) {
        for (int i = 0; i < n; i++) {
            tokenOrder[i] = i;
        }
        StableSort.sort(tokenOrder, 0, n, scratch, byToken);
        for (int x = 0; x < n; x++) {
            if (x > 0 && compareTokens(tokenOrder[x - 1], tokenOrder[x]) == 0) {
                int r = rows[from + tokenOrder[x]];
                throw new IllegalArgumentException("two tokens of one capacity group share position " + positions[r]
                        + " and tie key " + tieKeys[r] + " (rows " + rows[from + tokenOrder[x - 1]] + " and " + r + ")");
            }
            tokenRank[tokenOrder[x]] = x;
        }
    }

    /** The best expert with room that token i has neither in its top-k nor rerouted to; -1 if none. */
    private int rerouteTarget(int i, int capacity) {
        int base = i * k;
        for (int j = 0; j < k; j++) {
            excluded[topK[base + j]] = true;
            if (assigned[base + j] >= 0) {
                excluded[assigned[base + j]] = true;
            }
        }
        int row = rows[from + i] * experts;
        int best = -1;
        float bestValue = Float.NEGATIVE_INFINITY;
        for (int e = 0; e < experts; e++) {
            float p = selection[row + e];
            if (p > bestValue && !excluded[e] && loads[e] < capacity) {
                best = e;
                bestValue = p;
            }
        }
        for (int j = 0; j < k; j++) {
            excluded[topK[base + j]] = false;
            if (assigned[base + j] >= 0) {
                excluded[assigned[base + j]] = false;
            }
        }
        return best;
    }

    private void writeOutput(int n, int[] outExperts, float[] outWeights) {
        boolean normalize = config.normalizeTopK();
        for (int i = 0; i < n; i++) {
            int r = rows[from + i];
            int row = r * experts;
            int out = r * k;
            double sum = 0;
            for (int j = 0; j < k; j++) {
                int e = assigned[i * k + j];
                float w = e >= 0 ? probabilities[row + e] : 0f;
                outExperts[out + j] = e;
                outWeights[out + j] = w;
                if (e >= 0) {
                    sum += w;
                }
            }
            if (normalize) {
                for (int j = 0; j < k; j++) {
                    if (outExperts[out + j] >= 0) {
                        outWeights[out + j] = (float) (outWeights[out + j] / sum);
                    }
                }
            }
        }
    }

    /** Tokens (group indices): position, then tie key. */
    private int compareTokens(int x, int y) {
        int rx = rows[from + x];
        int ry = rows[from + y];
        int c = Integer.compare(positions[rx], positions[ry]);
        return c != 0 ? c : Integer.compare(tieKeys[rx], tieKeys[ry]);
    }

    /** Assignments of expert {@link #sortExpert}: higher probability, then (position, tie key). */
    private int compareCompetitors(int x, int y) {
        float px = probabilities[rows[from + x / k] * experts + sortExpert];
        float py = probabilities[rows[from + y / k] * experts + sortExpert];
        if (px > py) {
            return -1;
        }
        if (px < py) {
            return 1;
        }
        return Integer.compare(tokenRank[x / k], tokenRank[y / k]);
    }

    /** Overflowing assignments: position, then rank, then tie key. */
    private int compareOverflow(int x, int y) {
        int c = Integer.compare(positions[rows[from + x / k]], positions[rows[from + y / k]]);
        if (c != 0) {
            return c;
        }
        c = Integer.compare(x % k, y % k);
        return c != 0 ? c : Integer.compare(tokenRank[x / k], tokenRank[y / k]);
    }

    public DispatchConfig config() {
        return config;
    }

    public int experts() {
        return experts;
    }

    public int k() {
        return k;
    }

    public int maxTokens() {
        return maxTokens;
    }

    /** Totals over every call so far. */
    public DispatchStats stats() {
        return stats;
    }

    /** The last group's token count {@code T}. */
    public int lastTokens() {
        return lastTokens;
    }

    /** The last group's capacity {@code C}. */
    public int lastCapacity() {
        return lastCapacity;
    }

    /** Assignments of the last group that run no expert. */
    public int lastDropped() {
        return lastDropped;
    }

    /** Assignments of the last group moved to another expert. */
    public int lastRerouted() {
        return lastRerouted;
    }

    /** The last group's busiest expert load after dispatch. */
    public int lastMaxLoad() {
        return lastMaxLoad;
    }

    /** The last group's busiest expert load under the plain top-k. */
    public int lastDroplessMaxLoad() {
        return lastDroplessMaxLoad;
    }
}
