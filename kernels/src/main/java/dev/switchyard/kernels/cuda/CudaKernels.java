package dev.switchyard.kernels.cuda;

import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.TopKRouting;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The entry points of the kernel modules, one method each, with the launch geometry their source
 * comments ask for. Arguments are device addresses and sizes, already checked by the backend; the
 * argument order and C types follow the kernels' signatures in {@code kernels/src/main/cuda}.
 */
final class CudaKernels {

    private static final Set<GgmlType> TYPES = EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0,
            GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS,
            GgmlType.MXFP4, GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S, GgmlType.IQ3_XXS, GgmlType.IQ3_S,
            GgmlType.IQ1_S, GgmlType.IQ1_M);
    /** The formats with 16-byte-load kernels (matmul_wide_, moe_*_wide_; gemv.cuh's dot_wide). */
    private static final Set<GgmlType> WIDE_TYPES = EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16,
            GgmlType.Q8_0, GgmlType.Q4_0);
    /** matmul.cu and moe_experts.cu: output rows per block (one warp each) and tokens per warp. */
    private static final int MATMUL_ROWS_PER_BLOCK = 4;
    static final int MATMUL_TOKEN_TILE = 8;
    /** moe_experts.cu: the most experts moe_plan counts in shared memory, and the largest top-k of moe_combine. */
    static final int MOE_MAX_EXPERTS = 1024;
    static final int MOE_MAX_K = 32;
    /** moe_dispatch.cuh's MOE_MAX_GROUPS: expert groups a routing rule on the device may have. */
    static final int MOE_MAX_GROUPS = 64;
    /** attention.cu: the largest key and value head widths its shared memory and registers hold. */
    static final int ATTENTION_MAX_HEAD_DIM_K = 576;
    static final int ATTENTION_MAX_HEAD_DIM_V = 512;
    /** attention.cu: value heads up to this take the narrow kernels (MAX_HV), wider ones the *_wide twins. */
    static final int ATTENTION_NARROW_HEAD_DIM_V = 256;
    /** attention.cu: the most splits attention_combine merges (MAX_SPLITS). */
    static final int ATTENTION_MAX_SPLITS = 32;
    /** delta_net.cu: the widest key and value heads gated_delta_net takes (DELTA_MAX_DK, DELTA_MAX_DV). */
    static final int DELTA_NET_MAX_KEY_DIM = 256;
    static final int DELTA_NET_MAX_VALUE_DIM = 256;
    /** The largest first and second grid dimensions of a launch. */
    static final int MAX_GRID_X = Integer.MAX_VALUE;
    static final int MAX_GRID_Y = 65535;
    /** Block size of greedy_rows (sampling.cu's GREEDY_THREADS). */
    private static final int GREEDY_THREADS = 256;
    /** Block size of top_rows (sampling.cu's TOP_THREADS). */
    private static final int TOP_THREADS = 256;

    /** matmul_tc.cu: weight rows and tokens of a block's tile, its threads, and the columns a step takes. */
    static final int TC_ROWS = 64;
    static final int TC_TOKENS = 64;
    private static final int TC_THREADS = 128;
    static final int TC_COLUMN_STEP = 32;
    /**
     * Fewest tokens that take the tensor-core matmul. Below, the tiled kernels read the weights
     * once per 8 tokens, which costs less than a 64-token tile of products of which most are unused.
     */
    static final int TC_MIN_TOKENS = 32;

    private final CudaContext ctx;
    private final KernelArgs args = new KernelArgs();
    private final boolean tensorCores;

    CudaKernels(CudaContext ctx) {
        this.ctx = ctx;
        this.tensorCores = GraphSettings.tensorCores() && ctx.computeMajor() >= 8;
    }

    static boolean supports(GgmlType type) {
        return TYPES.contains(type);
    }

    static String supportedTypes() {
        return TYPES.toString();
    }

    private static String suffix(GgmlType type) {
        return type.name().toLowerCase(Locale.ROOT);
    }

    private MemorySegment fn(CudaModule module, String name) {
        return ctx.function(module, name);
    }

    /**
     * Whether rows of {@code rowBytes} bytes of a {@code type} weight at {@code weights}, against float
     * activations at {@code activations}, take the 16-byte-load kernels: a format they decode, whole
     * 16-byte chunks per row (for Q8_0 and Q4_0 that is whole groups of 8 blocks, cols % 256 == 0) and
     * both addresses 16-byte aligned (the activation rows, cols floats apart, then are too). Expert
     * slots may put a weight anywhere, so the addresses are checked, not assumed.
     */
    static boolean wide(GgmlType type, long rowBytes, long weights, long activations) {
        return WIDE_TYPES.contains(type) && rowBytes % 16 == 0 && weights % 16 == 0 && activations % 16 == 0;
    }

    /**
     * Tokens per warp: the wide kernels come with a tile of 1 for single-token steps (half the
     * registers, so twice the warps per SM keep loads in flight) and of 8; the generic ones with 8.
     */
    private static int tokenTile(boolean wide, int tokens) {
        return wide && tokens == 1 ? 1 : MATMUL_TOKEN_TILE;
    }

    /** e.g. matmul_q4_k, matmul_wide_t1_bf16. */
    private static String kernel(String family, boolean wide, int tile, GgmlType type) {
        return family + (wide ? "wide_t" + tile + "_" : "") + suffix(type);
    }

    /**
     * Whether a product of {@code tokens} tokens over {@code cols} columns, activations at
     * {@code activations}, takes the tensor-core matmul on a GPU that has it ({@code available}):
     * enough tokens to fill its tiles, whole 32-column steps, and activation rows it reads 16 bytes
     * at a time (aligned, as cols % 32 == 0 keeps every row).
     */
    static boolean tensorCores(boolean available, int cols, int tokens, long activations) {
        return available && tokens >= TC_MIN_TOKENS && cols % TC_COLUMN_STEP == 0 && activations % 16 == 0;
    }

    /** out (T, rows) = x (T, cols) W^T, W in {@code type} at {@code w}. */
    void matmul(GgmlType type, long w, long rowBytes, int rows, int cols, long x, long out, int tokens) {
        args.reset().ptr(w).i64(rowBytes).i32(rows).i32(cols).ptr(x).ptr(out).i32(tokens);
        if (tensorCores(tensorCores, cols, tokens, x)) {
            ctx.launch(fn(CudaModule.MATMUL_TC, "matmul_tc_" + suffix(type)), ceilDiv(rows, TC_ROWS),
                    ceilDiv(tokens, TC_TOKENS), TC_THREADS, 1, args);
            return;
        }
        boolean wide = wide(type, rowBytes, w, x);
        int tile = tokenTile(wide, tokens);
        ctx.launch(fn(CudaModule.MATMUL, kernel("matmul_", wide, tile, type)), ceilDiv(rows, MATMUL_ROWS_PER_BLOCK),
                ceilDiv(tokens, tile), 32, MATMUL_ROWS_PER_BLOCK, args);
    }

    /** Grid x of {@link #matmulHeads}: every head's blocks of rows, in a long, as it may pass {@link #MAX_GRID_X}. */
    static long matmulHeadsBlocks(int rows, int heads) {
        return (long) heads * ceilDiv(rows, MATMUL_ROWS_PER_BLOCK);
    }

    /**
     * out[t][outCol + h outStride + r] = W[h][r] . x[t][xCol + h xStride ..] for h < heads: matrix h of
     * the stack at {@code w + h matrixBytes}; x and out rows {@code xCols} and {@code outCols} floats
     * wide. Always the generic kernel: a head's block of x starts wherever xCol + h xStride puts it,
     * not where 16-byte loads need it.
     */
    void matmulHeads(GgmlType type, long w, long matrixBytes, long rowBytes, int rows, int cols, long x, int xCols,
                     int xCol, int xStride, long out, int outCols, int outCol, int outStride, int heads, int tokens) {
        args.reset().ptr(w).i64(matrixBytes).i64(rowBytes).i32(rows).i32(cols).ptr(x).i32(xCols).i32(xCol)
                .i32(xStride).ptr(out).i32(outCols).i32(outCol).i32(outStride).i32(tokens);
        ctx.launch(fn(CudaModule.MATMUL, "matmul_heads_" + suffix(type)), Math.toIntExact(matmulHeadsBlocks(rows, heads)),
                ceilDiv(tokens, MATMUL_TOKEN_TILE), 32, MATMUL_ROWS_PER_BLOCK, args);
    }

    /** out (T, cols) = rows ids[t] of the table, decoded. */
    void embed(GgmlType type, long table, long rowBytes, int cols, long ids, long out, int tokens) {
        args.reset().ptr(table).i64(rowBytes).i32(cols).ptr(ids).ptr(out);
        ctx.launch(fn(CudaModule.MATMUL, "embed_" + suffix(type)), tokens, 1, 256, 1, args);
    }

    void rmsNorm(long x, long gamma, float eps, long out, int cols, int tokens) {
        args.reset().ptr(x).ptr(gamma).f32(eps).ptr(out).i32(cols);
        ctx.launch(fn(CudaModule.NORM, "rms_norm"), tokens, 1, 256, 1, args);
    }

    /** {@code perColumn}: gamma as wide as the row, each column its own; else one gamma of headDim for every head. */
    void rmsNormHeads(long x, long gamma, float eps, int cols, int headDim, boolean perColumn, int tokens) {
        args.reset().ptr(x).ptr(gamma).f32(eps).i32(cols).i32(headDim).i32(perColumn ? headDim : 0);
        ctx.launch(fn(CudaModule.NORM, "rms_norm_heads"), cols / headDim, tokens, 32, 1, args);
    }

    void addBias(long x, long bias, long n, int cols) {
        args.reset().ptr(x).ptr(bias).i64(n).i32(cols);
        ctx.launch(fn(CudaModule.ELEMENTWISE, "add_bias"), elementwiseBlocks(n), 1, 256, 1, args);
    }

    void add(long y, long x, long n) {
        args.reset().ptr(y).ptr(x).i64(n);
        ctx.launch(fn(CudaModule.ELEMENTWISE, "add"), elementwiseBlocks(n), 1, 256, 1, args);
    }

    void siluMul(long gate, long up, long n) {
        args.reset().ptr(gate).ptr(up).i64(n);
        ctx.launch(fn(CudaModule.ELEMENTWISE, "silu_mul"), elementwiseBlocks(n), 1, 256, 1, args);
    }

    void sigmoidMul(long gate, long x, long n) {
        args.reset().ptr(gate).ptr(x).i64(n);
        ctx.launch(fn(CudaModule.ELEMENTWISE, "sigmoid_mul"), elementwiseBlocks(n), 1, 256, 1, args);
    }

    void mul(long y, long x, long n) {
        args.reset().ptr(y).ptr(x).i64(n);
        ctx.launch(fn(CudaModule.ELEMENTWISE, "mul"), elementwiseBlocks(n), 1, 256, 1, args);
    }

    void reluSquared(long x, long n) {
        args.reset().ptr(x).i64(n);
        ctx.launch(fn(CudaModule.ELEMENTWISE, "relu_squared"), elementwiseBlocks(n), 1, 256, 1, args);
    }

    /** LFM2's convolution over the cached rows of one layer ({@code rows}: that layer's keys). */
    void shortConv(long rows, int width, int blockSize, long positions, long tableStart, long tables, long taps,
                   int length, long out, int outCols, int tokens) {
        args.reset().ptr(rows).i32(width).i32(blockSize).ptr(positions).ptr(tableStart).ptr(tables).ptr(taps)
                .i32(length).ptr(out).i32(outCols);
        ctx.launch(fn(CudaModule.ATTENTION, "short_conv"), (width + 255) / 256, tokens, 256, 1, args);
    }

    /**
     * The gated delta rule over one layer's states ({@code states}: that layer's, see
     * {@link CudaRecurrentStates}): a block per (value head, sequence run), run r being the sequence
     * of token {@code firstToken[r]}, its first of the step; a thread per value column.
     */
    void gatedDeltaNet(long states, int heads, int keyDim, int valueDim, long firstToken, int runs, long sequenceOf,
                       long positionOf, int tokens, long qkv, int keyHeads, boolean tiled, long beta, long alpha,
                       boolean channelGates, long dtBias, long decay, float eps, long out) {
        args.reset().ptr(states).i32(heads).i32(keyDim).i32(valueDim).ptr(firstToken).ptr(sequenceOf).ptr(positionOf)
                .i32(tokens).ptr(qkv).i32(keyHeads).i32(tiled ? 1 : 0).ptr(beta).ptr(alpha).i32(channelGates ? 1 : 0)
                .ptr(dtBias).ptr(decay).f32(eps).ptr(out);
        ctx.launch(fn(CudaModule.DELTA_NET, "gated_delta_net"), heads, runs, deltaNetThreads(valueDim), 1, args);
    }

    /**
     * Mamba2's selective scan over one layer's states ({@code states}: that layer's, see
     * {@link CudaRecurrentStates}): a block per (head, sequence run), run r being the sequence of
     * token {@code firstToken[r]}, its first of the step; a thread per channel of the head.
     */
    void selectiveScan(long states, int heads, int stateDim, int channels, long firstToken, int runs, long sequenceOf,
                       long positionOf, int tokens, long xbc, int groups, long dt, long dtBias, long decay, long skip,
                       long out) {
        args.reset().ptr(states).i32(heads).i32(stateDim).i32(channels).ptr(firstToken).ptr(sequenceOf).ptr(positionOf)
                .i32(tokens).ptr(xbc).i32(groups).ptr(dt).ptr(dtBias).ptr(decay).ptr(skip).ptr(out);
        ctx.launch(fn(CudaModule.DELTA_NET, "selective_scan"), heads, runs, deltaNetThreads(channels), 1, args);
    }

    /** gated_delta_net's and selective_scan's block: a thread per value column (channel), in whole warps. */
    static int deltaNetThreads(int valueDim) {
        return ceilDiv(valueDim, 32) * 32;
    }

    void swigluClamped(long gate, long up, float alpha, float limit, long n) {
        args.reset().ptr(gate).ptr(up).f32(alpha).f32(limit).i64(n);
        ctx.launch(fn(CudaModule.ELEMENTWISE, "swiglu_clamped"), elementwiseBlocks(n), 1, 256, 1, args);
    }

    void softmax(long x, int cols, int tokens) {
        args.reset().ptr(x).i32(cols);
        ctx.launch(fn(CudaModule.ELEMENTWISE, "softmax_rows"), tokens, 1, 256, 1, args);
    }

    void gatherRows(long src, long rows, long dst, int cols, int n) {
        args.reset().ptr(src).ptr(rows).ptr(dst).i32(cols);
        ctx.launch(fn(CudaModule.ELEMENTWISE, "gather_rows"), n, 1, 256, 1, args);
    }

    /** Blocks of {@code width} columns, {@code groups} per row, each side's blocks {@code *Stride} apart. */
    void copyColumns(long src, int srcCols, int srcCol, int srcStride, long dst, int dstCols, int dstCol, int dstStride,
                     int width, int groups, int rows) {
        args.reset().ptr(src).i32(srcCols).i32(srcCol).i32(srcStride).ptr(dst).i32(dstCols).i32(dstCol).i32(dstStride)
                .i32(width).i32(groups);
        ctx.launch(fn(CudaModule.ELEMENTWISE, "copy_columns"), ceilDiv(groups * width, 256), rows, 256, 1, args);
    }

    void sigmoidGatedAdd(long gate, int gateCols, long src, long dst, int cols, int tokens) {
        args.reset().ptr(gate).i32(gateCols).ptr(src).ptr(dst).i32(cols);
        ctx.launch(fn(CudaModule.ELEMENTWISE, "sigmoid_gated_add"), ceilDiv(cols, 256), tokens, 256, 1, args);
    }

    void greedyRows(long logits, int cols, int rows, long ids, long values, long logZ) {
        args.reset().ptr(logits).i32(cols).ptr(ids).ptr(values).ptr(logZ);
        ctx.launch(fn(CudaModule.SAMPLING, "greedy_rows"), rows, 1, GREEDY_THREADS, 1, args);
    }

    void topRows(long logits, int cols, int rows, int count, long ids, long values, long logZ) {
        args.reset().ptr(logits).i32(cols).i32(count).ptr(ids).ptr(values).ptr(logZ);
        ctx.launch(fn(CudaModule.SAMPLING, "top_rows"), rows, 1, TOP_THREADS, 1, args);
    }

    void scaleRows(long x, long factors, int n, int cols) {
        args.reset().ptr(x).ptr(factors).i32(cols);
        ctx.launch(fn(CudaModule.ELEMENTWISE, "scale_rows"), ceilDiv(cols, 256), n, 256, 1, args);
    }

    void scatterAddRows(long src, long rows, long weights, long dst, int n, int cols) {
        args.reset().ptr(src).ptr(rows).ptr(weights).ptr(dst).i32(n).i32(cols);
        ctx.launch(fn(CudaModule.ELEMENTWISE, "scatter_add_rows"), ceilDiv(cols, 256), n == 0 ? 0 : 1, 256, 1, args);
    }

    void rope(long x, long positions, long freqs, int cols, int heads, int headDim, int half, boolean neox,
              double linearScale, double magnitude, int tokens) {
        args.reset().ptr(x).ptr(positions).ptr(freqs).i32(cols).i32(heads).i32(headDim).i32(half).i32(neox ? 1 : 0)
                .f64(linearScale).f64(magnitude);
        ctx.launch(fn(CudaModule.ROPE, "rope"), tokens, 1, 128, 1, args);
    }

    /**
     * store_kv, or store_kv_f16 rounding to halves for an F16 cache, or store_kv_q8 quantizing each
     * head's groups into a Q8_0 cache with their scales ({@code scales}, null for the others).
     */
    void storeKv(long k, long v, long slots, long keys, long values, int keyDim, int valueDim, int kvHeads, int tokens,
                 KvCacheType type, KvScales scales) {
        args.reset().ptr(k).ptr(v).ptr(slots).ptr(keys).ptr(values);
        if (type == KvCacheType.Q8_0) {
            args.ptr(scales.keys()).ptr(scales.values());
        }
        args.i32(keyDim).i32(valueDim);
        if (type == KvCacheType.Q8_0) {
            args.i32(kvHeads);
        }
        String kernel = switch (type) {
            case F32 -> "store_kv";
            case F16 -> "store_kv_f16";
            case Q8_0 -> "store_kv_q8";
        };
        ctx.launch(fn(CudaModule.ATTENTION, kernel), tokens, 1, 128, 1, args);
    }

    /**
     * Where a Q8_0 cache's scales are for one attention call (attention.cu's KvScales): the key
     * scales, the value scales (the key scales where values are read from the key rows), scales per
     * slot of each, and the element of its row a value head starts at.
     */
    record KvScales(long keys, long values, int keyStride, int valueStride, int valueFirst) {
    }

    /** The scales' arguments after the others, for a Q8_0 cache's kernels. */
    private void scaleArgs(KvCacheType type, KvScales scales) {
        if (type == KvCacheType.Q8_0) {
            args.ptr(scales.keys()).ptr(scales.values()).i32(scales.keyStride()).i32(scales.valueStride())
                    .i32(scales.valueFirst());
        }
    }

    /** attention_paged; {@code window} 0 for none, {@code sinks} (heads floats) 0 for none. */
    void attention(long q, int qCols, long out, int outCols, long keys, long values, int keyDim, int valueDim,
                   int blockSize, long positions, long tableStart, long tables, int heads, int group, int hk, int hv,
                   float scale, int window, long sinks, int tokens, KvCacheType type, KvScales scales) {
        args.reset().ptr(q).i32(qCols).ptr(out).i32(outCols).ptr(keys).ptr(values).i32(keyDim).i32(valueDim)
                .i32(blockSize).ptr(positions).ptr(tableStart).ptr(tables).i32(group).i32(hk).i32(hv).f32(scale)
                .i32(window).ptr(sinks);
        scaleArgs(type, scales);
        ctx.launch(fn(CudaModule.ATTENTION, attentionKernel("attention_paged", hv, type)), heads, tokens, 128, 1, args);
    }

    /**
     * The narrow kernel, or its *_wide twin for value heads wider than its accumulators hold; the
     * *_f16 form of either for an F16 cache, the *_q8 form for a Q8_0 one.
     */
    static String attentionKernel(String name, int hv, KvCacheType type) {
        String kernel = hv > ATTENTION_NARROW_HEAD_DIM_V ? name + "_wide" : name;
        return switch (type) {
            case F32 -> kernel;
            case F16 -> kernel + "_f16";
            case Q8_0 -> kernel + "_q8";
        };
    }

    /**
     * Splits of each (head, token)'s positions for split-K attention, or 1 for attention_paged's
     * one block per (head, token): split only while heads x tokens blocks leave SMs idle, into
     * enough splits for about two blocks per SM. From the shape and the device alone, never the
     * context length, so a decode step's launches repeat from step to step (and replay as a graph).
     */
    static int attentionSplits(int heads, int tokens, int multiprocessors) {
        long blocks = (long) heads * tokens;
        if (blocks >= multiprocessors) {
            return 1;
        }
        long splits = (2L * multiprocessors + blocks - 1) / blocks;
        return (int) Math.min(splits, ATTENTION_MAX_SPLITS);
    }

    /** Floats of attention_split's partials for a step: (tokens, heads, splits, 2 + hv). */
    static long attentionPartialFloats(int heads, int tokens, int splits, int hv) {
        return (long) tokens * heads * splits * (2 + hv);
    }

    /** attention_split then attention_combine (see attention.cu); {@code partials} as {@link #attentionPartialFloats}. */
    void attentionSplit(long q, int qCols, long out, int outCols, long keys, long values, int keyDim, int valueDim,
                        int blockSize, long positions, long tableStart, long tables, int heads, int group, int hk, int hv,
                        float scale, int window, long sinks, int tokens, int splits, long partials,
                        KvCacheType type, KvScales scales) {
        args.reset().ptr(q).i32(qCols).ptr(keys).ptr(values).i32(keyDim).i32(valueDim).i32(blockSize).ptr(positions)
                .ptr(tableStart).ptr(tables).i32(group).i32(hk).i32(hv).f32(scale).i32(window).i32(splits)
                .ptr(partials);
        scaleArgs(type, scales);
        ctx.launch(fn(CudaModule.ATTENTION, attentionKernel("attention_split", hv, type)), heads, tokens * splits, 128, 1, args);
        // the sinks join in the combine, once per (head, token)
        args.reset().ptr(partials).i32(splits).i32(hv).ptr(sinks).ptr(out).i32(outCols);
        ctx.launch(fn(CudaModule.ATTENTION, "attention_combine"), heads, tokens, 128, 1, args);
    }

    /** moe_route.cu: router logits (T, E) -> scores (T, E), each token's experts and weights (T, k) by {@code routing}. */
    void moeRoute(long logits, long bias, int tokens, int experts, TopKRouting routing, long probs, long topk,
                  long topkWeights) {
        args.reset().ptr(logits).ptr(bias).i32(tokens).i32(experts).i32(routing.k()).i32(routing.sigmoid() ? 1 : 0)
                .i32(routing.groupCount()).i32(routing.groupsUsed()).i32(routing.normalize() ? 1 : 0)
                .f32(routing.weightScale()).ptr(probs).ptr(topk).ptr(topkWeights);
        ctx.launch(fn(CudaModule.MOE_ROUTE, "moe_route"), ceilDiv(tokens, 128), 1, 128, 1, args);
    }

    /** moe_route.cu: one block per capacity group; {@code mode} is a MOE_OVERFLOW_* code. */
    void moeDispatch(long probs, long topk, long rows, long groupStarts, long positions, long tieKeys, int experts,
                     int k, int mode, double gamma, boolean normalize, long workspace, long outExperts,
                     long outWeights, long stats, int groups) {
        args.reset().ptr(probs).ptr(topk).ptr(rows).ptr(groupStarts).ptr(positions).ptr(tieKeys).i32(experts).i32(k)
                .i32(mode).f64(gamma).i32(normalize ? 1 : 0).ptr(workspace).ptr(outExperts).ptr(outWeights).ptr(stats);
        ctx.launch(fn(CudaModule.MOE_ROUTE, "moe_dispatch"), groups, 1, 256, 1, args);
    }

    /** moe_route.cu: each expert's (row, weight) list in row order, padded to a multiple of {@code align}. */
    void moeExpertLists(long experts, long weights, int tokens, int k, int expertCount, int align, long counts,
                        long offsets, long listRows, long listWeights) {
        args.reset().ptr(experts).ptr(weights).i32(tokens).i32(k).i32(expertCount).i32(align).ptr(counts).ptr(offsets)
                .ptr(listRows).ptr(listWeights);
        ctx.launch(fn(CudaModule.MOE_ROUTE, "moe_expert_lists"), 1, 1, 256, 1, args);
    }

    /** moe_experts.cu: ints of a plan of {@code slots} slots for {@code assignments} (token, slot) pairs. */
    static long moePlanInts(int slots, int assignments) {
        return 2L + 2L * slots + assignments;
    }

    /** moe_experts.cu: the step's experts in ascending order, each with its assignments; one warp. */
    void moePlan(long topk, int assignments, int experts, int slots, long plan) {
        args.reset().ptr(topk).i32(assignments).i32(experts).i32(slots).ptr(plan);
        ctx.launch(fn(CudaModule.MOE_EXPERTS, "moe_plan"), 1, 1, 32, 1, args);
    }

    /**
     * moe_experts.cu: act (T k, ffn) = silu(gate_e h_t) * (up_e h_t) for each planned (token, expert),
     * or with expert e's rows of the stacked biases added (where {@code gateBias} is not 0) and, where
     * {@code clamped}, gpt-oss's clamped SwiGLU, and where {@code inputWeights} (the routing weights,
     * one per assignment) is not 0, both projections times the assignment's weight (Llama 4), and
     * where {@code gate} is 0, up alone and its squared ReLU (Nemotron-H): the _form_ twin of the
     * kernel, the plain one otherwise. gate and up are matrix 0 of their stacks,
     * {@code matrixBytes} apart, rows of {@code rowBytes}.
     */
    void moeGateUp(GgmlType type, boolean wide, long h, int dim, long plan, int slots, int k, int tokens, long gate,
                   long up, long matrixBytes, long rowBytes, int ffn, long gateBias, long upBias, boolean clamped,
                   float alpha, float limit, long inputWeights, long act) {
        int tile = tokenTile(wide, tokens);
        int tileCount = ceilDiv(tokens, tile);
        boolean form = gateBias != 0 || clamped || inputWeights != 0 || gate == 0;
        args.reset().ptr(h).i32(dim).ptr(plan).i32(slots).i32(k).i32(tileCount).ptr(gate).ptr(up).i64(matrixBytes)
                .i64(rowBytes).i32(ffn);
        if (form) {
            args.ptr(gateBias).ptr(upBias).i32(clamped ? 1 : 0).f32(alpha).f32(limit).ptr(inputWeights);
        }
        args.ptr(act);
        ctx.launch(fn(CudaModule.MOE_EXPERTS, kernel(form ? "moe_gate_up_form_" : "moe_gate_up_", wide, tile, type)),
                ceilDiv(ffn, MATMUL_ROWS_PER_BLOCK), slots * tileCount, 32, MATMUL_ROWS_PER_BLOCK, args);
    }

    /**
     * moe_experts.cu: y (T k, dim) = down_e act for each planned (token, expert), plus expert e's row
     * of the stacked {@code downBias} where it is not 0 (the _form_ twin).
     */
    void moeDown(GgmlType type, boolean wide, long act, int ffn, long plan, int slots, int tokens, long down,
                 long matrixBytes, long rowBytes, int dim, long downBias, long y) {
        int tile = tokenTile(wide, tokens);
        int tileCount = ceilDiv(tokens, tile);
        boolean form = downBias != 0;
        args.reset().ptr(act).i32(ffn).ptr(plan).i32(slots).i32(tileCount).ptr(down).i64(matrixBytes).i64(rowBytes)
                .i32(dim);
        if (form) {
            args.ptr(downBias);
        }
        args.ptr(y);
        ctx.launch(fn(CudaModule.MOE_EXPERTS, kernel(form ? "moe_down_form_" : "moe_down_", wide, tile, type)),
                ceilDiv(dim, MATMUL_ROWS_PER_BLOCK), slots * tileCount, 32, MATMUL_ROWS_PER_BLOCK, args);
    }

    /** moe_experts.cu: x[t] += w y for each of the token's k experts, in ascending expert order (weights 0: w = 1). */
    void moeCombine(long x, int dim, long topk, long weights, int k, int experts, long y, int tokens) {
        args.reset().ptr(x).i32(dim).ptr(topk).ptr(weights).i32(k).i32(experts).ptr(y);
        ctx.launch(fn(CudaModule.MOE_EXPERTS, "moe_combine"), ceilDiv(dim, 256), tokens, 256, 1, args);
    }

    private static int elementwiseBlocks(long n) {
        return (int) Math.min(4096, (n + 255) / 256);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
