package dev.switchyard.kernels.cuda;

import dev.switchyard.kernels.AttentionBatch;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.ExpertFfnForm;
import dev.switchyard.kernels.ExpertSlots;
import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.KvStorage;
import dev.switchyard.kernels.OpChecks;
import dev.switchyard.kernels.RecurrentStates;
import dev.switchyard.kernels.RopeSpec;
import dev.switchyard.kernels.SequenceRuns;
import dev.switchyard.kernels.StateShape;
import dev.switchyard.kernels.TopKRouting;
import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * The CUDA backend: weights copied once into device memory in their file encoding, activations and
 * the paged KV cache in device memory, and every op a kernel of {@code kernels/src/main/cuda} queued
 * on one stream through the driver API (no CUDA runtime library). Ops return once their work is
 * queued; {@link FloatMatrix#readRow} waits for it. Offloaded experts live in {@link #expertSlots},
 * filled by a copy thread on a stream of their own.
 *
 * <h2>Rules for callers</h2> As the CPU backend's, plus:
 * <ul>
 *   <li>Matrices, weights and KV storage must come from this backend.</li>
 *   <li>The per-call arrays (ids, positions, slots, rows, weights, block tables) are copied at the
 *       call; the float vectors (norm gammas, biases) are kept on the device and sent again only
 *       when their contents change.</li>
 *   <li>Weights of types {@link CudaKernels#supportedTypes()} only; others are refused at
 *       {@link #weight}.</li>
 * </ul>
 *
 * <p>Checked against the CPU backend op by op (CudaBackendOpsTest, CudaMatmulTest,
 * CudaAttentionTest), MoE routing and dispatch against the engine's planner (CudaRoutingMatchesCpuTest),
 * device-routed experts against the CPU backend's ops (CudaRoutedExpertsTest),
 * and end to end (greedy tokens of the tiny model) where a GPU is present.
 */
public final class CudaBackend implements Backend {

    private final CudaContext ctx;
    private final CudaKernels kernels;
    private final Staging staging;
    private final DeviceConstants constants;
    private int[] tableStart = new int[0];
    private int[] tables = new int[0];
    private int[] sequenceStart = new int[0];
    private int[] usedBlocks = new int[0];
    private int tableLength;
    /** Device addresses of the last {@link #stageTables}: positions, each token's table start, the tables. */
    private long stagedPositions;
    private long stagedStarts;
    private long stagedTables;
    private boolean pinHostExperts = true;
    private CudaRoutedExperts routedExperts;
    /** The recurrent ops' staged runs and tokens on the device ({@link #stageRuns}). */
    private long stagedRunFirst;
    private long stagedSequenceOf;
    private long stagedPositionOf;
    /** The recurrent ops' runs: the first token of each of the step's sequences, and which slots were met. */
    private int[] runFirst = new int[0];
    private boolean[] runSeen = new boolean[0];
    /** Split-K attention's per-split partials (see {@link CudaKernels#attentionSplits}). */
    private final Scratch attentionPartials = new Scratch();
    /** topRows' results: rows log-sums (double), then rows x count ids (int), then as many values (float). */
    private final Scratch topResults = new Scratch();

    private CudaBackend(CudaContext ctx) {
        this.ctx = ctx;
        this.kernels = new CudaKernels(ctx);
        this.staging = new Staging(ctx);
        this.constants = new DeviceConstants(ctx);
    }

    /**
     * Opens device {@code ordinal}. Call {@link CudaProbe#probe()} first: this touches the driver
     * bindings, which cannot load where the probe found no driver.
     */
    public static CudaBackend open(int ordinal) {
        return new CudaBackend(CudaContext.open(ordinal));
    }

    @Override
    public String name() {
        return "cuda:" + ctx.ordinal();
    }

    @Override
    public int threads() {
        return 1;
    }

    /** A 512 MiB device-to-device copy, best of three after one warm-up, counting bytes read and written. */
    @Override
    public OptionalDouble measureMemoryBandwidth() {
        ctx.makeCurrent();
        long bytes = 512L << 20;
        long src = ctx.allocate(bytes);
        long dst = ctx.allocate(bytes);
        try {
            double best = HostToDeviceBandwidth.bestOf(ctx, () -> ctx.copy(src, dst, bytes), 2.0 * bytes);
            return OptionalDouble.of(best);
        } finally {
            ctx.free(dst);
            ctx.free(src);
        }
    }

    @Override
    public String toString() {
        return "cuda:" + ctx.ordinal() + " (" + ctx.deviceName() + ", compute " + ctx.computeCapability() + ")";
    }

    @Override
    public Weight weight(GgmlType type, MemorySegment data, long[] dims) {
        return new CudaWeight(ctx, type, Objects.requireNonNull(data, "data"), dims);
    }

    /**
     * Device slots in one allocation, filled on a copy stream of their own from the host regions
     * pinned in place where the device and driver allow, else through pinned staging buffers; see
     * {@link CudaExpertSlots}. Refused, naming the sizes, when the device has less free memory.
     */
    @Override
    public ExpertSlots expertSlots(int count, long slotBytes, List<MemorySegment> hostRegions) {
        ctx.makeCurrent();
        return new CudaExpertSlots(ctx, count, slotBytes, hostRegions, pinHostExperts);
    }

    /** Tests: false makes expert slots opened from now on stage every copy, as where pinning fails. */
    void pinHostExperts(boolean pin) {
        this.pinHostExperts = pin;
    }

    @Override
    public FloatMatrix allocate(int rows, int cols) {
        ctx.makeCurrent();
        return new CudaMatrix(ctx, rows, cols);
    }

    @Override
    public KvStorage allocateKv(int layers, int blocks, int blockSize, int kvHeads, int keyDim, int valueDim,
                                KvCacheType type) {
        ctx.makeCurrent();
        return new CudaKvStorage(ctx, layers, blocks, blockSize, kvHeads, keyDim, valueDim, type);
    }

    // ---- matmul, embed -----------------------------------------------------------------------

    @Override
    public void matmul(Weight w, int matrix, FloatMatrix x, FloatMatrix out, int tokens) {
        CudaWeight cw = weight(w);
        CudaMatrix cx = matrix(x);
        CudaMatrix co = matrix(out);
        OpChecks.matmul(cw, matrix, cx, co, tokens);
        ctx.makeCurrent();
        kernels.matmul(cw.type(), cw.matrix(matrix), cw.rowBytes(), cw.rows(), cw.cols(), cx.pointer(), co.pointer(), tokens);
    }

    /** One launch for all heads (see matmul.cu's matmul_heads_): the heads' blocks are read and written in place. */
    @Override
    public void matmulHeads(Weight w, FloatMatrix x, int xCol, int xStride, FloatMatrix out, int outCol, int outStride,
                            int heads, int tokens) {
        CudaWeight cw = weight(w);
        CudaMatrix cx = matrix(x);
        CudaMatrix co = matrix(out);
        OpChecks.matmulHeads(cw, cx, xCol, xStride, co, outCol, outStride, heads, tokens);
        checkGridY(tokens);
        long blocks = CudaKernels.matmulHeadsBlocks(cw.rows(), heads);
        if (blocks > CudaKernels.MAX_GRID_X) {
            throw new IllegalArgumentException("matmulHeads of " + cw + " over " + heads + " heads needs " + blocks
                    + " blocks of rows, more than a launch's " + CudaKernels.MAX_GRID_X);
        }
        if (tokens == 0) {
            return;
        }
        ctx.makeCurrent();
        kernels.matmulHeads(cw.type(), cw.matrix(0), cw.matrixBytes(), cw.rowBytes(), cw.rows(), cw.cols(), cx.pointer(),
                cx.cols(), xCol, xStride, co.pointer(), co.cols(), outCol, outStride, heads, tokens);
    }

    @Override
    public void embed(Weight table, int[] ids, FloatMatrix out, int tokens) {
        CudaWeight w = weight(table);
        CudaMatrix co = matrix(out);
        if (co.cols() != w.cols()) {
            throw new IllegalArgumentException("embed of " + w + " needs out with " + w.cols() + " columns, got " + co);
        }
        OpChecks.tokens(tokens, co, co);
        for (int t = 0; t < tokens; t++) {
            Objects.checkIndex(ids[t], w.rows());
        }
        ctx.makeCurrent();
        long at = staging.begin().ints(ids, tokens);
        long base = staging.upload();
        kernels.embed(w.type(), w.matrix(0), w.rowBytes(), w.cols(), base + at, co.pointer(), tokens);
    }

    // ---- norms, bias, rope -------------------------------------------------------------------

    @Override
    public void rmsNorm(FloatMatrix x, float[] gamma, float eps, FloatMatrix out, int tokens) {
        CudaMatrix cx = matrix(x);
        CudaMatrix co = matrix(out);
        if (co.cols() != cx.cols() || gamma.length < cx.cols()) {
            throw new IllegalArgumentException("rmsNorm shapes: " + cx + ", " + co + ", gamma " + gamma.length);
        }
        OpChecks.tokens(tokens, cx, co);
        ctx.makeCurrent();
        kernels.rmsNorm(cx.pointer(), constants.vector(gamma), eps, co.pointer(), cx.cols(), tokens);
    }

    @Override
    public void rmsNormHeads(FloatMatrix x, float[] gamma, float eps, int headDim, int tokens) {
        CudaMatrix cx = matrix(x);
        if (headDim <= 0 || cx.cols() % headDim != 0 || gamma.length < headDim) {
            throw new IllegalArgumentException("rmsNormHeads: " + cx + ", head dim " + headDim + ", gamma " + gamma.length);
        }
        OpChecks.tokens(tokens, cx, cx);
        checkGridY(tokens);
        ctx.makeCurrent();
        kernels.rmsNormHeads(cx.pointer(), constants.vector(gamma), eps, cx.cols(), headDim, gamma.length == cx.cols(),
                tokens);
    }

    @Override
    public void addBias(FloatMatrix x, float[] bias, int offset, int tokens) {
        CudaMatrix cx = matrix(x);
        OpChecks.bias(bias, offset, cx);
        OpChecks.tokens(tokens, cx, cx);
        ctx.makeCurrent();
        long row = constants.vector(bias, offset, offset + cx.cols()) + 4L * offset;
        kernels.addBias(cx.pointer(), row, (long) tokens * cx.cols(), cx.cols());
    }

    @Override
    public void rope(FloatMatrix x, int[] positions, int heads, int headDim, RopeSpec rope, int tokens) {
        CudaMatrix cx = matrix(x);
        if (heads <= 0 || headDim <= 0 || (long) heads * headDim > cx.cols() || rope.dims() > headDim) {
            throw new IllegalArgumentException("rope: " + heads + " heads of " + headDim + " (rotating "
                    + rope.dims() + ") in " + cx);
        }
        OpChecks.tokens(tokens, cx, cx);
        int half = rope.dims() / 2;
        if (half == 0 || tokens == 0) {
            return;
        }
        ctx.makeCurrent();
        long freqs = constants.ropeFrequencies(rope);
        long at = staging.begin().ints(positions, tokens);
        long base = staging.upload();
        kernels.rope(cx.pointer(), base + at, freqs, cx.cols(), heads, headDim, half, rope.neox(), rope.linearScale(),
                rope.magnitude(), tokens);
    }

    // ---- attention ---------------------------------------------------------------------------

    @Override
    public void storeKv(KvStorage kv, int layer, FloatMatrix k, FloatMatrix v, int[] slots, int tokens) {
        CudaKvStorage c = kv(kv);
        CudaMatrix ck = matrix(k);
        CudaMatrix cv = c.valueDim() > 0 ? matrix(v) : null;
        OpChecks.storeKv(c, ck, cv, tokens);
        int slotCount = c.blocks() * c.blockSize();
        for (int t = 0; t < tokens; t++) {
            Objects.checkIndex(slots[t], slotCount);
        }
        ctx.makeCurrent();
        long at = staging.begin().ints(slots, tokens);
        long base = staging.upload();
        // without a value cache the kernel copies no value (valueDim 0) and reads no v
        CudaKernels.KvScales scales = c.type() == KvCacheType.Q8_0
                ? new CudaKernels.KvScales(c.keyScales(layer), cv != null ? c.valueScales(layer) : 0, 0, 0, 0)
                : null;
        kernels.storeKv(ck.pointer(), cv != null ? cv.pointer() : 0, base + at, c.keys(layer),
                cv != null ? c.values(layer) : 0, c.keyDim(), c.valueDim(), c.kvHeads(), tokens, c.type(), scales);
    }

    @Override
    public void attention(FloatMatrix q, KvStorage kv, int layer, AttentionBatch batch, FloatMatrix out) {
        CudaKvStorage c = kv(kv);
        CudaMatrix cq = matrix(q);
        CudaMatrix co = matrix(out);
        OpChecks.attention(cq, c, batch, co);
        int heads = batch.heads();
        int kvHeads = batch.kvHeads();
        if (batch.headDimK() > CudaKernels.ATTENTION_MAX_HEAD_DIM_K || batch.headDimV() > CudaKernels.ATTENTION_MAX_HEAD_DIM_V) {
            throw new UnsupportedOperationException("the CUDA attention kernel takes key heads up to "
                    + CudaKernels.ATTENTION_MAX_HEAD_DIM_K + " and value heads up to " + CudaKernels.ATTENTION_MAX_HEAD_DIM_V
                    + " wide, got " + batch.headDimK() + " and " + batch.headDimV());
        }
        int tokens = batch.tokens();
        checkGridY(tokens);
        // values read from the (one KV head's) key rows: the kernels' value pointer starts at the
        // offset within the first row, and a slot's values are a key row apart
        long values = batch.valuesInKeys() ? c.keys(layer) + (long) c.type().bytes() * batch.valueOffset()
                : c.values(layer);
        int valueStride = batch.valuesInKeys() ? c.keyDim() : c.valueDim();
        // a Q8_0 cache's scales: values read from the key rows take the keys' scales, from the
        // element of the row the values start at
        CudaKernels.KvScales scales = c.type() != KvCacheType.Q8_0 ? null : batch.valuesInKeys()
                ? new CudaKernels.KvScales(c.keyScales(layer), c.keyScales(layer), c.keyScaleStride(),
                        c.keyScaleStride(), batch.valueOffset())
                : new CudaKernels.KvScales(c.keyScales(layer), c.valueScales(layer), c.keyScaleStride(),
                        c.valueScaleStride(), 0);
        if (tokens == 0) {
            return;
        }
        int bs = c.blockSize();
        packBlockTables(batch, bs, c.blocks());
        ctx.makeCurrent();
        int splits = CudaKernels.attentionSplits(heads, tokens, ctx.multiprocessors());
        // grown (if at all) before staging, as growing waits for the stream
        long partials = splits > 1
                ? attentionPartials.ensure(ctx, 4 * CudaKernels.attentionPartialFloats(heads, tokens, splits, batch.headDimV()))
                : 0;
        // a layer's sinks are sent once and kept by identity, as biases are; none is a null pointer
        long sinks = batch.sinks() != null ? constants.vector(batch.sinks()) : 0;
        stageTables(batch, tokens);
        if (splits > 1) {
            // few tokens: split each one's positions across blocks, then merge the splits
            kernels.attentionSplit(cq.pointer(), cq.cols(), co.pointer(), co.cols(), c.keys(layer), values,
                    c.keyDim(), valueStride, bs, stagedPositions, stagedStarts, stagedTables, heads,
                    heads / kvHeads, batch.headDimK(), batch.headDimV(), batch.scale(), batch.window(), sinks, tokens,
                    splits, partials, c.type(), scales);
            return;
        }
        kernels.attention(cq.pointer(), cq.cols(), co.pointer(), co.cols(), c.keys(layer), values, c.keyDim(),
                valueStride, bs, stagedPositions, stagedStarts, stagedTables, heads, heads / kvHeads,
                batch.headDimK(), batch.headDimV(), batch.scale(), batch.window(), sinks, tokens, c.type(), scales);
    }

    /**
     * Device states zeroed on the stream (see {@link CudaRecurrentStates}); heads up to
     * {@link CudaKernels#DELTA_NET_MAX_KEY_DIM} keys and {@link CudaKernels#DELTA_NET_MAX_VALUE_DIM}
     * values, what one block of delta_net.cu holds, and refused beyond.
     */
    @Override
    public RecurrentStates allocateStates(int layers, int sequences, int heads, int keyDim, int valueDim) {
        if (keyDim > CudaKernels.DELTA_NET_MAX_KEY_DIM || valueDim > CudaKernels.DELTA_NET_MAX_VALUE_DIM) {
            throw new IllegalArgumentException("the CUDA gated delta net takes heads of up to "
                    + CudaKernels.DELTA_NET_MAX_KEY_DIM + " keys and " + CudaKernels.DELTA_NET_MAX_VALUE_DIM
                    + " values, got " + keyDim + " x " + valueDim);
        }
        ctx.makeCurrent();
        return new CudaRecurrentStates(ctx, new StateShape(layers, sequences, heads, keyDim, valueDim));
    }

    /**
     * One launch: a block per (value head, sequence of the step), each walking its sequence's tokens
     * in batch order (delta_net.cu). The step's sequences go as the first token of each, with every
     * token's sequence and position, in one staged region.
     */
    @Override
    public void copyState(RecurrentStates states, int from, int to) {
        CudaRecurrentStates c = states(states);
        ctx.makeCurrent();
        c.copy(from, to);
    }

    @Override
    public void gatedDeltaNet(RecurrentStates states, int layer, int[] sequenceOf, int[] positionOf, FloatMatrix qkv,
                              FloatMatrix beta, FloatMatrix alpha, float[] dtBias, float[] decay, int keyHeads,
                              boolean tiledHeads, float eps, FloatMatrix out, int tokens) {
        CudaRecurrentStates c = states(states);
        CudaMatrix cq = matrix(qkv);
        CudaMatrix cb = matrix(beta);
        CudaMatrix ca = matrix(alpha);
        CudaMatrix co = matrix(out);
        OpChecks.gatedDeltaNet(c, layer, sequenceOf, positionOf, cq, cb, ca, dtBias, decay, keyHeads, co, tokens);
        checkGridY(tokens);   // the runs, grid y, are at most the tokens
        long layerStates = c.layer(layer);
        if (tokens == 0) {
            return;
        }
        ctx.makeCurrent();
        // a layer's biases and decays are sent once and kept by identity, as norm gammas are
        long biases = constants.vector(dtBias);
        long decays = constants.vector(decay);
        int runs = stageRuns(sequenceOf, positionOf, tokens, c.sequences());
        kernels.gatedDeltaNet(layerStates, c.heads(), c.keyDim(), c.valueDim(), stagedRunFirst, runs, stagedSequenceOf,
                stagedPositionOf, tokens, cq.pointer(), keyHeads, tiledHeads, cb.pointer(), ca.pointer(),
                ca.cols() != c.heads(), biases, decays, eps, co.pointer());
    }

    @Override
    public void selectiveScan(RecurrentStates states, int layer, int[] sequenceOf, int[] positionOf, FloatMatrix xbc,
                              FloatMatrix dt, float[] dtBias, float[] decay, float[] skip, int groups, FloatMatrix out,
                              int tokens) {
        CudaRecurrentStates c = states(states);
        CudaMatrix cx = matrix(xbc);
        CudaMatrix cd = matrix(dt);
        CudaMatrix co = matrix(out);
        OpChecks.selectiveScan(c, layer, sequenceOf, positionOf, cx, cd, dtBias, decay, skip, groups, co, tokens);
        checkGridY(tokens);   // the runs, grid y, are at most the tokens
        long layerStates = c.layer(layer);
        if (tokens == 0) {
            return;
        }
        ctx.makeCurrent();
        // a layer's biases, decays and skips are sent once and kept by identity, as norm gammas are
        long biases = constants.vector(dtBias);
        long decays = constants.vector(decay);
        long skips = constants.vector(skip);
        int runs = stageRuns(sequenceOf, positionOf, tokens, c.sequences());
        kernels.selectiveScan(layerStates, c.heads(), c.keyDim(), c.valueDim(), stagedRunFirst, runs, stagedSequenceOf,
                stagedPositionOf, tokens, cx.pointer(), groups, cd.pointer(), biases, decays, skips, co.pointer());
    }

    /**
     * Finds the step's sequence runs ({@link SequenceRuns}) and sends the first token of each, and
     * each token's sequence and position, in one staged region, at {@link #stagedRunFirst},
     * {@link #stagedSequenceOf} and {@link #stagedPositionOf}; returns how many runs.
     */
    private int stageRuns(int[] sequenceOf, int[] positionOf, int tokens, int slots) {
        if (runFirst.length < tokens) {
            runFirst = new int[Math.max(tokens, 2 * runFirst.length)];
        }
        if (runSeen.length < slots) {
            runSeen = new boolean[slots];
        }
        int runs = SequenceRuns.find(sequenceOf, tokens, runFirst, runSeen);
        Staging s = staging.begin();
        long first = s.ints(runFirst, runs);
        long sequences = s.ints(sequenceOf, tokens);
        long positions = s.ints(positionOf, tokens);
        long base = s.upload();
        stagedRunFirst = base + first;
        stagedSequenceOf = base + sequences;
        stagedPositionOf = base + positions;
        return runs;
    }

    @Override
    public void shortConv(KvStorage rows, int layer, AttentionBatch batch, float[] taps, int length, FloatMatrix out) {
        CudaKvStorage c = kv(rows);
        CudaMatrix co = matrix(out);
        OpChecks.shortConv(c, batch, taps, length, co);
        int tokens = batch.tokens();
        checkGridY(tokens);
        if (tokens == 0) {
            return;
        }
        packBlockTables(batch, c.blockSize(), c.blocks());
        ctx.makeCurrent();
        // a layer's taps are sent once and kept by identity, as biases are
        long weights = constants.vector(taps);
        stageTables(batch, tokens);
        kernels.shortConv(c.keys(layer), c.keyDim(), c.blockSize(), stagedPositions, stagedStarts, stagedTables,
                weights, length, co.pointer(), co.cols(), tokens);
    }

    /**
     * Sends the batch's positions, each token's table start and the tables {@link #packBlockTables}
     * packed, in one upload; their device addresses are then in {@code staged*}. Call after anything
     * that may wait for the stream (growing a buffer, sending a constant).
     */
    private void stageTables(AttentionBatch batch, int tokens) {
        Staging s = staging.begin();
        long positions = s.ints(batch.positionOf(), tokens);
        long starts = s.ints(tableStart, tokens);
        // tableLength rounded up to a power of two (the array is at least that long): the region's
        // size then changes rarely, so the regions staged after it keep their addresses, and the
        // step's kernel chunks their graphs, while sequences cross block boundaries (the kernels
        // read only their own tables)
        long tableOffset = s.ints(tables, stagedTableLength(tableLength, tables.length));
        long base = s.upload();
        stagedPositions = base + positions;
        stagedStarts = base + starts;
        stagedTables = base + tableOffset;
    }

    /** {@code length} rounded up to a power of two, at most {@code capacity}. */
    static int stagedTableLength(int length, int capacity) {
        int rounded = length <= 1 ? length : Integer.highestOneBit(length - 1) << 1;
        return Math.min(rounded, capacity);
    }

    /**
     * Flattens the block tables the step's tokens use into {@code tables} (each sequence's blocks
     * up to its furthest token, once) and points {@code tableStart[t]} at token t's; checks every
     * block a token attends to, as the CPU backend does.
     */
    private void packBlockTables(AttentionBatch batch, int blockSize, int blocks) {
        int tokens = batch.tokens();
        int[][] blockTables = batch.blockTables();
        if (sequenceStart.length < blockTables.length) {
            sequenceStart = new int[blockTables.length];
            usedBlocks = new int[blockTables.length];
        }
        Arrays.fill(sequenceStart, 0, blockTables.length, -1);
        Arrays.fill(usedBlocks, 0, blockTables.length, 0);
        int[] used = usedBlocks;
        for (int t = 0; t < tokens; t++) {
            int pos = batch.positionOf()[t];
            int seq = batch.sequenceOf()[t];
            int[] table = blockTables[seq];
            if (pos < 0 || pos / blockSize >= table.length) {
                throw new IllegalArgumentException("token " + t + " at position " + pos + " beyond its block table");
            }
            used[seq] = Math.max(used[seq], pos / blockSize + 1);
        }
        int length = 0;
        for (int seq = 0; seq < blockTables.length; seq++) {
            length += used[seq];
        }
        if (tables.length < length) {
            tables = new int[Math.max(stagedTableLength(length, Integer.MAX_VALUE), 2 * tables.length)];
        }
        if (tableStart.length < tokens) {
            tableStart = new int[Math.max(tokens, 2 * tableStart.length)];
        }
        int at = 0;
        for (int t = 0; t < tokens; t++) {
            int seq = batch.sequenceOf()[t];
            if (sequenceStart[seq] < 0) {
                sequenceStart[seq] = at;
                for (int b = 0; b < used[seq]; b++) {
                    tables[at++] = Objects.checkIndex(blockTables[seq][b], blocks);
                }
            }
            tableStart[t] = sequenceStart[seq];
        }
        tableLength = at;
    }

    // ---- elementwise -------------------------------------------------------------------------

    @Override
    public void siluMul(FloatMatrix gate, FloatMatrix up, int tokens) {
        CudaMatrix cg = matrix(gate);
        CudaMatrix cu = matrix(up);
        OpChecks.gated("siluMul", cg, cu, tokens);
        ctx.makeCurrent();
        kernels.siluMul(cg.pointer(), cu.pointer(), (long) tokens * cg.cols());
    }

    @Override
    public void mul(FloatMatrix y, FloatMatrix x, int tokens) {
        CudaMatrix cy = matrix(y);
        CudaMatrix cx = matrix(x);
        OpChecks.gated("mul", cy, cx, tokens);
        ctx.makeCurrent();
        kernels.mul(cy.pointer(), cx.pointer(), (long) tokens * cy.cols());
    }

    @Override
    public void reluSquared(FloatMatrix x, int tokens) {
        CudaMatrix cx = matrix(x);
        OpChecks.tokens(tokens, cx, cx);
        ctx.makeCurrent();
        kernels.reluSquared(cx.pointer(), (long) tokens * cx.cols());
    }

    @Override
    public void sigmoidMul(FloatMatrix gate, FloatMatrix x, int tokens) {
        CudaMatrix cg = matrix(gate);
        CudaMatrix cx = matrix(x);
        OpChecks.gated("sigmoidMul", cg, cx, tokens);
        ctx.makeCurrent();
        kernels.sigmoidMul(cg.pointer(), cx.pointer(), (long) tokens * cg.cols());
    }

    @Override
    public void swigluClamped(FloatMatrix gate, FloatMatrix up, float alpha, float limit, int tokens) {
        CudaMatrix cg = matrix(gate);
        CudaMatrix cu = matrix(up);
        OpChecks.gated("swigluClamped", cg, cu, tokens);
        ctx.makeCurrent();
        kernels.swigluClamped(cg.pointer(), cu.pointer(), alpha, limit, (long) tokens * cg.cols());
    }

    @Override
    public void softmax(FloatMatrix x, int tokens) {
        CudaMatrix cx = matrix(x);
        OpChecks.tokens(tokens, cx, cx);
        ctx.makeCurrent();
        kernels.softmax(cx.pointer(), cx.cols(), tokens);
    }

    @Override
    public void add(FloatMatrix y, FloatMatrix x, int tokens) {
        CudaMatrix cy = matrix(y);
        CudaMatrix cx = matrix(x);
        if (cy.cols() != cx.cols()) {
            throw new IllegalArgumentException("add shapes: " + cy + ", " + cx);
        }
        OpChecks.tokens(tokens, cy, cx);
        ctx.makeCurrent();
        kernels.add(cy.pointer(), cx.pointer(), (long) tokens * cy.cols());
    }

    @Override
    public void gatherRows(FloatMatrix src, int[] rows, FloatMatrix dst, int n) {
        CudaMatrix cs = matrix(src);
        CudaMatrix cd = matrix(dst);
        if (cs.cols() != cd.cols() || n < 0 || n > cd.rows()) {
            throw new IllegalArgumentException("gatherRows of " + n + ": " + cs + " -> " + cd);
        }
        for (int i = 0; i < n; i++) {
            Objects.checkIndex(rows[i], cs.rows());
        }
        if (n == 0) {
            return;
        }
        ctx.makeCurrent();
        long at = staging.begin().ints(rows, n);
        long base = staging.upload();
        kernels.gatherRows(cs.pointer(), base + at, cd.pointer(), cs.cols(), n);
    }

    @Override
    public void scatterAddRows(FloatMatrix src, int[] rows, float[] weights, FloatMatrix dst, int n) {
        CudaMatrix cs = matrix(src);
        CudaMatrix cd = matrix(dst);
        if (cs.cols() != cd.cols() || n < 0 || n > cs.rows()) {
            throw new IllegalArgumentException("scatterAddRows of " + n + ": " + cs + " -> " + cd);
        }
        for (int i = 0; i < n; i++) {
            Objects.checkIndex(rows[i], cd.rows());
        }
        if (n == 0) {
            return;
        }
        ctx.makeCurrent();
        Staging s = staging.begin();
        long r = s.ints(rows, n);
        long w = s.floats(weights, n);
        long base = s.upload();
        kernels.scatterAddRows(cs.pointer(), base + r, base + w, cd.pointer(), n, cs.cols());
    }

    @Override
    public void scaleRows(FloatMatrix x, float[] factors, int n) {
        CudaMatrix cx = matrix(x);
        if (n < 0 || n > cx.rows() || n > factors.length) {
            throw new IllegalArgumentException("scaleRows of " + n + " by " + factors.length + " factors: " + cx);
        }
        if (n == 0) {
            return;
        }
        checkGridY(n);
        ctx.makeCurrent();
        Staging s = staging.begin();
        long f = s.floats(factors, n);
        long base = s.upload();
        kernels.scaleRows(cx.pointer(), base + f, n, cx.cols());
    }

    @Override
    public void copyColumns(FloatMatrix src, int srcCol, int srcStride, FloatMatrix dst, int dstCol, int dstStride,
                            int width, int groups, int rows) {
        CudaMatrix cs = matrix(src);
        CudaMatrix cd = matrix(dst);
        OpChecks.copyColumns(cs, srcCol, srcStride, cd, dstCol, dstStride, width, groups, rows);
        checkGridY(rows);
        if (rows == 0) {
            return;
        }
        ctx.makeCurrent();
        kernels.copyColumns(cs.pointer(), cs.cols(), srcCol, srcStride, cd.pointer(), cd.cols(), dstCol, dstStride, width,
                groups, rows);
    }

    @Override
    public void sigmoidGatedAdd(FloatMatrix gate, FloatMatrix src, FloatMatrix dst, int tokens) {
        CudaMatrix cg = matrix(gate);
        CudaMatrix cs = matrix(src);
        CudaMatrix cd = matrix(dst);
        OpChecks.sigmoidGatedAdd(cg, cs, cd, tokens);
        checkGridY(tokens);
        ctx.makeCurrent();
        kernels.sigmoidGatedAdd(cg.pointer(), cg.cols(), cs.pointer(), cd.pointer(), cd.cols(), tokens);
    }

    /**
     * One block per row on the device (an argmax kernel for one token, a radix select for more;
     * sampling.cu's MAX_TOP is {@link #MAX_TOP_ROWS}); only the picks and one double per row come
     * back (8 + 8 count bytes a row instead of the whole vocabulary's 4 bytes a column), in one copy.
     */
    @Override
    public void topRows(FloatMatrix logits, int rows, int count, int[] wanted, int[] ids, float[] values,
                        double[] logZ) {
        CudaMatrix cl = matrix(logits);
        OpChecks.topRows(cl, rows, count, wanted, ids, values, logZ);
        if (rows == 0) {
            return;
        }
        ctx.makeCurrent();
        long picks = (long) rows * count;
        long bytes = 8L * rows + 8L * picks;
        long results = topResults.ensure(ctx, bytes);
        long idResults = results + 8L * rows;
        long valueResults = idResults + 4L * picks;
        if (count == 1) {
            kernels.greedyRows(cl.pointer(), cl.cols(), rows, idResults, valueResults, results);
        } else {
            kernels.topRows(cl.pointer(), cl.cols(), rows, count, idResults, valueResults, results);
        }
        MemorySegment host = ctx.hostBuffer(bytes);
        ctx.download(results, host, bytes);
        MemorySegment.copy(host, ValueLayout.JAVA_DOUBLE, 0, logZ, 0, rows);
        MemorySegment.copy(host, ValueLayout.JAVA_INT, 8L * rows, ids, 0, (int) picks);
        MemorySegment.copy(host, ValueLayout.JAVA_FLOAT, 8L * rows + 4L * picks, values, 0, (int) picks);
    }

    // ---- MoE: routed experts, routing and dispatch ---------------------------------------------

    @Override
    public boolean routesOnDevice() {
        return true;
    }

    /** Rules of up to MOE_MAX_GROUPS expert groups: the routing kernel keeps a token's kept groups in 64 bits. */
    @Override
    public boolean routesOnDevice(TopKRouting routing) {
        return routing.groupCount() <= CudaKernels.MOE_MAX_GROUPS;
    }

    /** Routing and the experts queued on the stream with no host sync; see {@link CudaRoutedExperts}. */
    @Override
    public void routedExperts(FloatMatrix routerLogits, FloatMatrix h, Weight gate, Weight up, Weight down,
                              ExpertFfnForm form, TopKRouting routing, FloatMatrix x, int tokens, int slot) {
        CudaMatrix cl = matrix(routerLogits);
        CudaMatrix ch = matrix(h);
        CudaMatrix cx = matrix(x);
        CudaWeight cg = gate != null ? weight(gate) : null;
        CudaWeight cu = weight(up);
        CudaWeight cd = weight(down);
        OpChecks.routedExperts(cl, ch, cg, cu, cd, form, routing, cx, tokens);
        CudaRoutedExperts.checkLimits(cg, cu, routing, tokens);
        if (slot < 0) {
            throw new IllegalArgumentException("routing slot " + slot);
        }
        ctx.makeCurrent();
        if (routedExperts == null) {
            routedExperts = new CudaRoutedExperts(ctx, kernels, constants);
        }
        routedExperts.run(cl, ch, cg, cu, cd, form, routing, cx, tokens, slot);
    }

    @Override
    public void readRoutedExperts(int slots, int tokens, int k, int[] out) {
        if (routedExperts == null) {
            throw new IllegalArgumentException("nothing was routed on " + name());
        }
        ctx.makeCurrent();
        routedExperts.read(slots, tokens * k, out);
    }

    /**
     * Device buffers and kernels for routing and capacity-aware dispatch of steps of up to
     * {@code maxTokens} tokens, top-{@code k} of {@code experts}, with expert lists padded to at most
     * {@code maxAlign} rows; see {@link CudaRouting}. Close it before this backend.
     */
    public CudaRouting routing(int experts, int k, int maxTokens, int maxAlign) {
        ctx.makeCurrent();
        return new CudaRouting(ctx, kernels, experts, k, maxTokens, maxAlign);
    }

    // ---- plumbing ----------------------------------------------------------------------------

    /** The device context (tests: raw copies to check device memory). */
    CudaContext context() {
        return ctx;
    }

    /** Waits for all queued work (tests and benchmarks; reading a row waits by itself). */
    public void synchronize() {
        ctx.makeCurrent();
        ctx.synchronize();
    }


    private static void checkGridY(int tokens) {
        if (tokens > CudaKernels.MAX_GRID_Y) {
            throw new IllegalArgumentException("at most " + CudaKernels.MAX_GRID_Y + " tokens per step on CUDA, got " + tokens);
        }
    }

    private CudaMatrix matrix(FloatMatrix m) {
        if (m instanceof CudaMatrix c && c.context() == ctx) {
            return c;
        }
        throw new IllegalArgumentException("not a matrix of this CUDA backend: " + m);
    }

    private CudaWeight weight(Weight w) {
        if (w instanceof CudaWeight c) {
            return c;
        }
        throw new IllegalArgumentException("not a CUDA weight: " + w);
    }

    private CudaRecurrentStates states(RecurrentStates s) {
        if (s instanceof CudaRecurrentStates c) {
            return c;
        }
        throw new IllegalArgumentException("not CUDA recurrent states: " + s);
    }

    private CudaKvStorage kv(KvStorage kv) {
        if (kv instanceof CudaKvStorage c) {
            return c;
        }
        throw new IllegalArgumentException("not CUDA KV storage: " + kv);
    }

    @Override
    public void close() {
        ctx.close();
    }
}
