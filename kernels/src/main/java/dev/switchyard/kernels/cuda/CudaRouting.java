package dev.switchyard.kernels.cuda;

import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.TopKRouting;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * MoE routing and capacity-aware dispatch on the device ({@code moe_route.cu}), for steps of up to
 * {@code maxTokens} tokens over {@code E} experts, top-{@code k}:
 * <pre>
 *   route     router logits (T, E) -> probabilities (T, E), plain top-k experts and weights (T, k)
 *   dispatch  capacity groups, one block each, planned by the engine's DispatchPlan rules
 *             -> experts and weights per row (T, k), -1/0 where dropped; stats per group
 *             -> each expert's (row, weight) list in row order, padded to a multiple of align
 * </pre>
 * The rules live in {@code moe_dispatch.cuh}; the engine's tests compile that header for the host and
 * compare it with DispatchPlan, and compare these kernels with it where a GPU is present. Results stay
 * in device memory (for the expert kernels, once the forward pass uses them); the {@code read} methods
 * copy them out. Device buffers are allocated once here and freed by {@link #close}. Not thread-safe.
 */
public final class CudaRouting implements AutoCloseable {

    /** What happens to assignments beyond capacity: the engine's OverflowMode, constant for constant. */
    public enum Overflow {
        NONE, DROP, REROUTE;

        /** moe_dispatch.cuh's MOE_OVERFLOW_* code. */
        int code() {
            return ordinal();
        }
    }

    /** Ints per group in {@link #readGroupStats}: capacity, dropped, rerouted, max load, dropless max load. */
    public static final int GROUP_STATS = 5;

    private final CudaContext ctx;
    private final CudaKernels kernels;
    private final Staging staging;
    private final int experts;
    private final int k;
    private final int maxTokens;
    private final int maxAlign;
    private final long probabilities;
    private final long topK;
    private final long topKWeights;
    private final long assignedExperts;
    private final long assignedWeights;
    private final long workspace;
    private final long stats;
    private final long counts;
    private final long offsets;
    private final long listRows;
    private final long listWeights;
    private int routedTokens = -1;
    private int dispatchedGroups = -1;
    private boolean closed;

    CudaRouting(CudaContext ctx, CudaKernels kernels, int experts, int k, int maxTokens, int maxAlign) {
        if (experts < 1 || k < 1 || k > experts || maxTokens < 1 || maxAlign < 1) {
            throw new IllegalArgumentException("routing of " + maxTokens + " tokens, top-" + k + " of " + experts
                    + " experts, lists aligned to " + maxAlign);
        }
        this.ctx = ctx;
        this.kernels = kernels;
        this.staging = new Staging(ctx);
        this.experts = experts;
        this.k = k;
        this.maxTokens = maxTokens;
        this.maxAlign = maxAlign;
        long assignments = (long) maxTokens * k;
        probabilities = ctx.allocate(4L * maxTokens * experts);
        topK = ctx.allocate(4 * assignments);
        topKWeights = ctx.allocate(4 * assignments);
        assignedExperts = ctx.allocate(4 * assignments);
        assignedWeights = ctx.allocate(4 * assignments);
        // moe_dispatch's workspace: 3 k T + (3 E + 1) G ints, G <= T
        workspace = ctx.allocate(4 * (3 * assignments + (3L * experts + 1) * maxTokens));
        stats = ctx.allocate(4L * GROUP_STATS * maxTokens);
        counts = ctx.allocate(4L * experts);
        offsets = ctx.allocate(4L * (experts + 1));
        long listLength = assignments + (long) experts * (maxAlign - 1);
        listRows = ctx.allocate(4 * listLength);
        listWeights = ctx.allocate(4 * listLength);
    }

    /**
     * Routes the first {@code tokens} rows of {@code logits} (E columns): softmax over all experts, the
     * k highest probabilities (equal ones to the lower expert index), renormalized when {@code normalize}.
     */
    public void route(FloatMatrix logits, int tokens, boolean normalize) {
        if (!(logits instanceof CudaMatrix m) || m.context() != ctx) {
            throw new IllegalArgumentException("not a matrix of this CUDA backend: " + logits);
        }
        if (m.cols() != experts || tokens < 0 || tokens > Math.min(maxTokens, m.rows())) {
            throw new IllegalArgumentException("routing " + tokens + " tokens of " + m + " over " + experts
                    + " experts, at most " + maxTokens);
        }
        ctx.makeCurrent();
        kernels.moeRoute(m.pointer(), 0, tokens, experts, TopKRouting.softmax(k, normalize), probabilities, topK,
                topKWeights);
        routedTokens = tokens;
        dispatchedGroups = -1;
    }

    /**
     * Plans the routed step's capacity groups and builds the expert lists. Group {@code g} is
     * {@code rows[groupStarts[g] .. groupStarts[g + 1])}; the groups hold every row {@code 0..tokens)} once
     * (CapacityGroups' layout). Two tokens of one group must not share both position and tie key (the
     * engine's planner rejects that; here they would be ordered by their place in the group).
     *
     * @param mode      what happens beyond capacity
     * @param gamma     the capacity factor, finite and &gt; 0
     * @param normalize whether the weights are renormalized to sum to one per token
     * @param positions per row: its position in its own sequence
     * @param tieKeys   per row: the request-scoped key that orders tokens at one position
     * @param align     the expert lists' padding, 1..maxAlign
     */
    public void dispatch(Overflow mode, double gamma, boolean normalize, int[] rows, int[] groupStarts, int groups,
                         int[] positions, int[] tieKeys, int align) {
        Objects.requireNonNull(mode, "mode");
        int tokens = routedTokens;
        if (tokens < 0) {
            throw new IllegalStateException("dispatch needs a routed step first");
        }
        if (!(gamma > 0) || !Double.isFinite(gamma)) {
            throw new IllegalArgumentException("capacity factor must be finite and > 0; got " + gamma);
        }
        if (align < 1 || align > maxAlign) {
            throw new IllegalArgumentException("align must be in 1.." + maxAlign + "; got " + align);
        }
        checkGroups(rows, groupStarts, groups, tokens);
        Objects.checkFromIndexSize(0, tokens, positions.length);
        Objects.checkFromIndexSize(0, tokens, tieKeys.length);
        ctx.makeCurrent();
        Staging s = staging.begin();
        long r = s.ints(rows, tokens);
        long g = s.ints(groupStarts, groups + 1);
        long p = s.ints(positions, tokens);
        long t = s.ints(tieKeys, tokens);
        long base = s.upload();
        kernels.moeDispatch(probabilities, topK, base + r, base + g, base + p, base + t, experts, k, mode.code(), gamma,
                normalize, workspace, assignedExperts, assignedWeights, stats, groups);
        kernels.moeExpertLists(assignedExperts, assignedWeights, tokens, k, experts, align, counts, offsets, listRows,
                listWeights);
        dispatchedGroups = groups;
    }

    private static void checkGroups(int[] rows, int[] groupStarts, int groups, int tokens) {
        if (groups < 0 || groups > tokens || groupStarts.length < groups + 1 || rows.length < tokens) {
            throw new IllegalArgumentException(groups + " groups of " + tokens + " rows");
        }
        if (groupStarts[0] != 0 || groupStarts[groups] != tokens) {
            throw new IllegalArgumentException("groups must cover rows 0.." + tokens + " exactly");
        }
        for (int g = 0; g < groups; g++) {
            if (groupStarts[g + 1] <= groupStarts[g]) {
                throw new IllegalArgumentException("group " + g + " is empty or out of order");
            }
        }
        boolean[] seen = new boolean[tokens];
        for (int i = 0; i < tokens; i++) {
            int row = Objects.checkIndex(rows[i], tokens);
            if (seen[row]) {
                throw new IllegalArgumentException("row " + row + " is in two groups");
            }
            seen[row] = true;
        }
    }

    /** The routed step's probabilities, row after row (T x E). */
    public void readProbabilities(float[] out) {
        readFloats(probabilities, out, (long) routed() * experts);
    }

    /** The routed step's plain top-k experts and weights (T x k). */
    public void readTopK(int[] outExperts, float[] outWeights) {
        readInts(topK, outExperts, (long) routed() * k);
        readFloats(topKWeights, outWeights, (long) routed() * k);
    }

    /** The dispatched experts (-1 dropped) and weights (0 dropped) of each row (T x k). */
    public void readAssignments(int[] outExperts, float[] outWeights) {
        dispatched();
        readInts(assignedExperts, outExperts, (long) routedTokens * k);
        readFloats(assignedWeights, outWeights, (long) routedTokens * k);
    }

    /** Per group, {@link #GROUP_STATS} ints: capacity, dropped, rerouted, max load, dropless max load. */
    public void readGroupStats(int[] out) {
        readInts(stats, out, (long) dispatched() * GROUP_STATS);
    }

    /**
     * The expert lists: {@code outCounts} (E), {@code outOffsets} (E + 1), and the padded lists (the
     * returned length {@code outOffsets[E]}): expert e's rows and weights at {@code outOffsets[e] ..
     * outOffsets[e] + outCounts[e]}, in row order, then (-1, 0) up to {@code outOffsets[e + 1]}.
     */
    public int readExpertLists(int[] outCounts, int[] outOffsets, int[] outRows, float[] outWeights) {
        dispatched();
        readInts(counts, outCounts, experts);
        readInts(offsets, outOffsets, experts + 1L);
        int length = outOffsets[experts];
        readInts(listRows, outRows, length);
        readFloats(listWeights, outWeights, length);
        return length;
    }

    private int routed() {
        if (routedTokens < 0) {
            throw new IllegalStateException("nothing routed yet");
        }
        return routedTokens;
    }

    private int dispatched() {
        if (dispatchedGroups < 0) {
            throw new IllegalStateException("nothing dispatched since the last route");
        }
        return dispatchedGroups;
    }

    private void readInts(long src, int[] out, long n) {
        Objects.checkFromIndexSize(0, n, out.length);
        MemorySegment host = download(src, 4 * n);
        MemorySegment.copy(host, ValueLayout.JAVA_INT, 0, out, 0, (int) n);
    }

    private void readFloats(long src, float[] out, long n) {
        Objects.checkFromIndexSize(0, n, out.length);
        MemorySegment host = download(src, 4 * n);
        MemorySegment.copy(host, ValueLayout.JAVA_FLOAT, 0, out, 0, (int) n);
    }

    private MemorySegment download(long src, long bytes) {
        ctx.makeCurrent();
        MemorySegment host = ctx.hostBuffer(Math.max(4, bytes));
        ctx.download(src, host, bytes);
        return host;
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

    @Override
    public void close() {
        if (closed || ctx.isClosed()) {
            closed = true;
            return;
        }
        closed = true;
        ctx.makeCurrent();
        for (long p : new long[] {probabilities, topK, topKWeights, assignedExperts, assignedWeights, workspace, stats,
                counts, offsets, listRows, listWeights}) {
            ctx.free(p);
        }
    }
}
