package dev.switchyard.kernels;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.OptionalDouble;

/**
 * The compute seam: buffers, and the operations a transformer step needs. Each call covers the first
 * {@code tokens} rows of its matrices (a step's tokens; matrices are sized for the largest step).
 * Backends are tested op by op against the CPU backend's scalar reference.
 *
 * <p>Shapes below use T for tokens, D for the model dimension, and the names of the arguments.
 */
public interface Backend extends AutoCloseable {

    /** Short name for logs and metrics, e.g. "cpu" or "cuda:0". */
    String name();

    /** Worker threads the backend splits work over. */
    int threads();

    /**
     * The bandwidth of this backend's own memory in GB/s, measured now (a large device-to-device
     * copy, bytes read plus bytes written), for backends whose weights live outside host memory;
     * empty for the CPU backend, whose bound is the host's (measured by the bench's probe).
     */
    default OptionalDouble measureMemoryBandwidth() {
        return OptionalDouble.empty();
    }

    /**
     * Wraps a weight tensor of ggml dims {@code [cols, rows]} or {@code [cols, rows, count]} whose
     * bytes are {@code data} (e.g. a view on a memory-mapped GGUF file).
     */
    Weight weight(GgmlType type, MemorySegment data, long[] dims);

    /**
     * The device tier for offloaded experts: {@code count} slots of {@code slotBytes} bytes each in
     * the memory this backend's kernels read weights from. {@code hostRegions} are the host memory
     * copies will read from (the mapped model file's expert tensors), which a backend may pin so
     * that copies from them run at the link's full speed.
     *
     * @throws IllegalArgumentException when the slots do not fit (the message names the sizes)
     */
    ExpertSlots expertSlots(int count, long slotBytes, List<MemorySegment> hostRegions);

    FloatMatrix allocate(int rows, int cols);

    /**
     * The paged KV cache of every layer: {@code blocks} blocks of {@code blockSize} positions, each
     * position {@code keyDim} keys and {@code valueDim} values (0: values read from the keys) of
     * {@code kvHeads} heads, which divide both, stored as {@code type} says. Attention reads them back
     * as floats, for batches of as many KV heads.
     */
    KvStorage allocateKv(int layers, int blocks, int blockSize, int kvHeads, int keyDim, int valueDim,
                         KvCacheType type);

    /** A float32 KV cache ({@link #allocateKv(int, int, int, int, int, int, KvCacheType)}). */
    default KvStorage allocateKv(int layers, int blocks, int blockSize, int kvHeads, int keyDim, int valueDim) {
        return allocateKv(layers, blocks, blockSize, kvHeads, keyDim, valueDim, KvCacheType.F32);
    }

    /** out[t] = W[matrix] x[t]: x (T, cols) -> out (T, rows). */
    void matmul(Weight w, int matrix, FloatMatrix x, FloatMatrix out, int tokens);

    /**
     * One product per head with a stack of {@code heads} matrices (rows x cols), each head reading
     * its own column block of x and writing its own of out: for h < heads, t < tokens, r < rows,
     * {@code out[t][outCol + h * outStride + r] = sum over i < cols of W[h][r][i] * x[t][xCol + h * xStride + i]}.
     * Latent attention carries every head's query into latent space, and decompresses every head's
     * output, with one of these. x and out are different matrices; out's blocks do not overlap.
     */
    void matmulHeads(Weight w, FloatMatrix x, int xCol, int xStride, FloatMatrix out, int outCol, int outStride, int heads,
                     int tokens);

    /** out[t] = row ids[t] of the embedding table {@code table} (dequantized): (T, cols). */
    void embed(Weight table, int[] ids, FloatMatrix out, int tokens);

    /** out[t] = x[t] / rms(x[t]) * gamma, rms over each row's {@code cols}; out may be x. */
    void rmsNorm(FloatMatrix x, float[] gamma, float eps, FloatMatrix out, int tokens);

    /**
     * RMSNorm of each {@code headDim}-wide slice of each row in place: one gamma of {@code headDim}
     * for all heads (QK-norm), or, where gamma is as long as the row, each column its own (Mamba2's
     * norm per group).
     */
    void rmsNormHeads(FloatMatrix x, float[] gamma, float eps, int headDim, int tokens);

    /** x[t] += bias, over every row. */
    default void addBias(FloatMatrix x, float[] bias, int tokens) {
        addBias(x, bias, 0, tokens);
    }

    /**
     * x[t][i] += bias[offset + i] over every row: one row of a stacked bias (gpt-oss's experts'
     * biases, a row per expert), without a copy of its own.
     */
    void addBias(FloatMatrix x, float[] bias, int offset, int tokens);

    /** Rotates each of {@code heads} heads of width {@code headDim} of x[t] by position positions[t]. */
    void rope(FloatMatrix x, int[] positions, int heads, int headDim, RopeSpec rope, int tokens);

    /** Writes k[t] and v[t] to cache slot slots[t] of {@code layer}. */
    void storeKv(KvStorage kv, int layer, FloatMatrix k, FloatMatrix v, int[] slots, int tokens);

    /**
     * Causal grouped-query attention of q (T, heads x headDimK) over cached K/V -> out (T, heads x
     * headDimV), under the batch's current {@link AttentionBatch#layer layer} settings: token t
     * attends to positions {@link AttentionBatch#firstPosition firstPosition(t)} .. positionOf[t]
     * (earlier ones are not read), and query head h's sink logit, where there are sinks, joins its
     * softmax's maximum and denominator as it is (not scaled), with no value.
     */
    void attention(FloatMatrix q, KvStorage kv, int layer, AttentionBatch batch, FloatMatrix out);

    /** gate[t] = silu(gate[t]) * up[t], elementwise. */
    void siluMul(FloatMatrix gate, FloatMatrix up, int tokens);

    /**
     * gpt-oss's gated activation, elementwise: with g = min(gate, limit) and u = clamp(up, -limit,
     * limit), {@code gate[t] = g * sigmoid(alpha * g) * (u + 1)}.
     */
    void swigluClamped(FloatMatrix gate, FloatMatrix up, float alpha, float limit, int tokens);

    /** Softmax of each row in place (router probabilities). */
    void softmax(FloatMatrix x, int tokens);

    /** y[t] += x[t], elementwise (residual connections). */
    void add(FloatMatrix y, FloatMatrix x, int tokens);

    /** dst[i] = src[rows[i]] for i < n (dispatch: gather an expert's tokens). */
    void gatherRows(FloatMatrix src, int[] rows, FloatMatrix dst, int n);

    /** dst[rows[i]] += weights[i] * src[i] for i < n (combine: scatter-add weighted expert outputs). */
    void scatterAddRows(FloatMatrix src, int[] rows, float[] weights, FloatMatrix dst, int n);

    /**
     * x (tokens, cols) *= sigmoid(gate) (tokens, cols), value by value: AFMoE's attention output
     * behind its gate, before the output projection.
     */
    void sigmoidMul(FloatMatrix gate, FloatMatrix x, int tokens);

    /** y (tokens, cols) *= x (tokens, cols), value by value: LFM2's convolution blocks gate their input and output. */
    void mul(FloatMatrix y, FloatMatrix x, int tokens);

    /**
     * Nemotron-H's squared ReLU, in place over x's first {@code tokens} rows, value by value:
     * {@code x = r * r} with {@code r = max(x, 0)}, the float product rounded once (never fused).
     * Negatives, -0 and +0 give +0; NaN stays NaN (as torch's relu then square), so that a broken
     * input shows rather than vanishing into zeros. Rows past {@code tokens} are left as they are.
     */
    void reluSquared(FloatMatrix x, int tokens);

    /**
     * LFM2's short convolution, causal and one channel at a time, over rows cached in {@code rows}
     * (each position one row of {@code width} floats, {@link KvCacheType#F32}, one head, no values:
     * a {@link #storeKv} of the step's inputs first): for every token t of {@code batch} at position
     * p of its sequence and every channel c < width,
     * {@code out[t][c] = sum over j < length of taps[j * width + c] * row(p - length + 1 + j)[c]},
     * rows of positions before 0 being zero, the products added in order of j with fused
     * multiply-adds from 0. {@code taps} holds the kernel tap-major: tap 0 weighs the oldest row.
     * Reads positions {@code p - length + 1 .. p} only, through the batch's block tables.
     */
    void shortConv(KvStorage rows, int layer, AttentionBatch batch, float[] taps, int length, FloatMatrix out);

    /**
     * Per-sequence recurrent states of {@code layers} blocks for {@code sequences} sequence slots,
     * {@code heads} matrices of {@code keyDim x valueDim} floats each, zeroed.
     */
    RecurrentStates allocateStates(int layers, int sequences, int heads, int keyDim, int valueDim);

    /**
     * Copies sequence slot {@code from}'s state of every layer over slot {@code to}'s (a checkpoint
     * saved or taken back; the two slots may be any of the states').
     */
    void copyState(RecurrentStates states, int from, int to);

    /**
     * The gated delta rule (Qwen3.5's and Qwen3-Next's linear attention, Kimi-Linear's delta attention), token by token in the
     * batch's order, each token on its sequence's state {@code S_h} (keyDim x valueDim) of every value
     * head h of {@code layer}. {@code qkv} row t holds, after the short convolution, the queries of the
     * {@code keyHeads} key heads, then their keys (keyDim each), then the values of every value head
     * (valueDim each); value head h reads key head {@code h % keyHeads} where {@code tiledHeads}
     * (Qwen3.5's files), {@code h / (heads / keyHeads)} otherwise (Qwen3-Next's). For token t at
     * position p of sequence s:
     * <ol>
     *   <li>where p is 0 the sequence starts afresh: S_h = 0;</li>
     *   <li>q and k each divided by {@code max(||x||, eps)}, q then by sqrt(keyDim);</li>
     *   <li>{@code g = decay[h] * softplus(alpha[t][h] + dtBias[h])} (softplus(x) = x above 20),
     *       {@code b = sigmoid(beta[t][h])}; where {@code alpha} has a column per key channel of
     *       each head (Kimi's delta attention, with as many key heads as value heads), a gate per
     *       row of the state instead: {@code g_i = decay[h] * softplus(alpha[t][h * keyDim + i] +
     *       dtBias[h * keyDim + i])}, {@code dtBias} as wide as {@code alpha};</li>
     *   <li>{@code S[i][j] = exp(g_i) S[i][j]} ({@code g_i = g} where the gate is the head's);
     *       {@code d[j] = b (v[j] - sum_i S[i][j] k[i])};
     *       {@code S[i][j] += k[i] d[j]}; {@code out[t][h * valueDim + j] = sum_i S[i][j] q[i]}, the
     *       sums over i in order with fused multiply-adds.</li>
     * </ol>
     * A sequence's tokens must come in order of position; its state carries over to the next call.
     */
    void gatedDeltaNet(RecurrentStates states, int layer, int[] sequenceOf, int[] positionOf, FloatMatrix qkv,
                       FloatMatrix beta, FloatMatrix alpha, float[] dtBias, float[] decay, int keyHeads,
                       boolean tiledHeads, float eps, FloatMatrix out, int tokens);

    /**
     * Mamba2's selective scan (Granite 4.0-H's, Nemotron-H's recurrent blocks), token by token in the
     * batch's order, each token on its sequence's state {@code S_h} (keyDim x valueDim: a state index's
     * row of head h's channels) of every head h of {@code layer}. {@code xbc} row t holds, after the
     * convolution, every head's channels x (valueDim each), then the {@code groups} groups' inputs B,
     * then their outputs C (keyDim each); head h reads group {@code h / (heads / groups)}. For token t
     * at position p of its sequence:
     * <ol>
     *   <li>where p is 0 the sequence starts afresh: S_h = 0;</li>
     *   <li>{@code d = softplus(dt[t][h] + dtBias[h])} (softplus(x) = x above 20),
     *       {@code keep = exp(d * decay[h])};</li>
     *   <li>{@code S[i][j] = keep S[i][j] + B[i] (x[j] d)};
     *       {@code out[t][h * valueDim + j] = sum_i S[i][j] C[i] + x[j] skip[h]}, the sum over i in
     *       order with fused multiply-adds, the skip added after it.</li>
     * </ol>
     * A sequence's tokens must come in order of position; its state carries over to the next call.
     */
    void selectiveScan(RecurrentStates states, int layer, int[] sequenceOf, int[] positionOf, FloatMatrix xbc,
                       FloatMatrix dt, float[] dtBias, float[] decay, float[] skip, int groups, FloatMatrix out,
                       int tokens);

    /**
     * x[i] *= factors[i] for rows i < n: Llama 4's routed experts weigh their inputs, not their
     * outputs, and its unrotated blocks scale each query by its position's attention temperature.
     */
    void scaleRows(FloatMatrix x, float[] factors, int n);

    /**
     * Copies {@code groups} blocks of {@code width} columns in each of the first {@code rows} rows:
     * {@code dst[r][dstCol + g * dstStride + i] = src[r][srcCol + g * srcStride + i]} for g < groups,
     * i < width. Latent attention (DeepSeek-V2/V3) slices and regroups its per-head projections
     * with it; src and dst must be different matrices.
     */
    void copyColumns(FloatMatrix src, int srcCol, int srcStride, FloatMatrix dst, int dstCol, int dstStride, int width,
                     int groups, int rows);

    /**
     * dst[t] += w_t * src[t] for t < tokens, w_t = sigmoid(gate[t][0]) computed in double and rounded
     * to float (a shared expert behind its gate, Qwen2-MoE), with scatterAddRows' arithmetic: so the
     * gate never travels through the host.
     */
    void sigmoidGatedAdd(FloatMatrix gate, FloatMatrix src, FloatMatrix dst, int tokens);

    /** The most tokens {@link #topRows} finds per row. */
    int MAX_TOP_ROWS = 128;

    /**
     * What sampling needs from rows {@code 0 .. rows-1} of {@code logits}, without reading them: the
     * {@code count} best tokens of row i, best first, in {@code ids[i * count + j]} with their
     * logits as they are in the row in {@code values[i * count + j]}, and {@code logZ[i] =
     * ln sum exp(l - max)} over the whole row, {@code max} its best logit, the exponentials and their
     * sum in double; a token's natural-log probability is then {@code l - max - logZ[i]}. Best is the
     * sampler's order: the larger logit first, the lower id among equals (compared with {@code >},
     * so -0 and +0 are equal). A row holding NaN or +infinity, or nothing but -infinity, gets
     * {@code ids[i * count] = -1} and {@code logZ[i]} NaN: the caller reads that row and lets its
     * sampler say what is wrong with it. Waits for the device.
     *
     * @throws IllegalArgumentException when {@code rows} exceeds the matrix, {@code count} is not in
     *                                  {@code 1 .. min(columns, MAX_TOP_ROWS)}, or the arrays are short
     */
    default void topRows(FloatMatrix logits, int rows, int count, int[] ids, float[] values, double[] logZ) {
        topRows(logits, rows, count, null, ids, values, logZ);
    }

    /**
     * {@link #topRows(FloatMatrix, int, int, int[], float[], double[])} where only the rows i with
     * {@code wanted[i] > 0} are needed (all where {@code wanted} is null): a backend may skip the
     * others, which then read as rows it could not settle ({@code ids[i * count] = -1}). The CPU
     * backend skips them, since there each row costs a pass over the vocabulary; a GPU does every
     * row in the same launch.
     */
    void topRows(FloatMatrix logits, int rows, int count, int[] wanted, int[] ids, float[] values, double[] logZ);

    /** Whether {@link #routedExperts} runs on this backend (routing without the host seeing it). */
    default boolean routesOnDevice() {
        return false;
    }

    /**
     * Whether {@link #routedExperts} takes this routing rule: every rule where {@link #routesOnDevice()},
     * unless the backend's kernels limit it (CUDA's keep a token's expert groups in 64 bits).
     */
    default boolean routesOnDevice(TopKRouting routing) {
        return routesOnDevice();
    }

    /**
     * One MoE layer's routed experts for a step of {@code tokens} tokens, routed on the device: per
     * token, the router logits (T, E) -> its k experts and their weights as {@code routing} says
     * (softmax top-k, equal probabilities to the lower index, renormalized where asked; or sigmoid
     * scores ranked with a selection bias within the best expert groups, scaled) -> for each chosen
     * expert e its FFN in the given {@code form}, {@code down_e(silu(gate_e h) * up_e h)} for
     * {@link ExpertFfnForm#SWIGLU}, or with expert e's bias rows added to each projection and gpt-oss's
     * clamped SwiGLU between them, or {@code down_e(max(up_e h, 0)^2)} without a gate -> {@code x[t]
     * += weight * out} (or the weight on h, and out added as it is, where the routing weighs inputs),
     * the token's experts added in ascending expert index (the host path's order). gate and up (E
     * matrices of F x D; gate null for {@link ExpertFfnForm#SQUARED_RELU}) and down (E of D x F) are
     * the stacked expert weights, matrix e = expert e. Same results as routing on the host and running
     * the experts op by op (matmul, addBias, the activation, matmul, addBias), within the weights'
     * matmul tolerance. The chosen experts stay on the device in {@code slot} (the engine
     * passes the layer) until the next call with that slot, for {@link #readRoutedExperts}.
     *
     * @throws IllegalArgumentException when the shapes disagree (the message names them)
     * @throws UnsupportedOperationException where {@link #routesOnDevice()} is false
     */
    default void routedExperts(FloatMatrix routerLogits, FloatMatrix h, Weight gate, Weight up, Weight down,
                               ExpertFfnForm form, TopKRouting routing, FloatMatrix x, int tokens, int slot) {
        throw new UnsupportedOperationException(name() + " routes on the host");
    }

    /**
     * The experts that the last {@link #routedExperts} call of each slot {@code 0 .. slots-1} chose,
     * each call's (tokens, k) row-major, slot after slot, into {@code out}; waits for the device. For
     * what watches the routing on the host (load metrics) once a step has run: one wait per step
     * instead of one per layer.
     *
     * @throws IllegalArgumentException where a slot was not routed with {@code tokens} tokens of top-{@code k}
     * @throws UnsupportedOperationException where {@link #routesOnDevice()} is false
     */
    default void readRoutedExperts(int slots, int tokens, int k, int[] out) {
        throw new UnsupportedOperationException(name() + " routes on the host");
    }

    /** Releases worker threads and device memory. */
    @Override
    void close();
}
