package dev.switchyard.kernels;

import java.util.Objects;

/** Argument checks every backend makes the same way, so that bad shapes fail alike on each. */
public final class OpChecks {

    private OpChecks() {
    }

    /** {@code tokens} rows fit both matrices. */
    public static void tokens(int tokens, FloatMatrix a, FloatMatrix b) {
        if (tokens < 0 || tokens > a.rows() || tokens > b.rows()) {
            throw new IllegalArgumentException(tokens + " tokens for " + a + " and " + b);
        }
    }

    /**
     * {@link Backend#attention}'s shapes: whole KV groups, q and out wide enough for every head,
     * the cache wide enough for every KV head's keys and values (read from the keys where the
     * batch says so), the tokens present.
     */
    public static void attention(FloatMatrix q, KvStorage kv, AttentionBatch batch, FloatMatrix out) {
        int heads = batch.heads();
        int kvHeads = batch.kvHeads();
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("attention: " + heads + " heads over " + kvHeads + " KV heads");
        }
        boolean valuesFit = batch.valuesInKeys() || (long) kvHeads * batch.headDimV() == kv.valueDim();
        if ((long) heads * batch.headDimK() > q.cols() || (long) heads * batch.headDimV() > out.cols()
                || kvHeads != kv.kvHeads() || (long) kvHeads * batch.headDimK() != kv.keyDim() || !valuesFit) {
            throw new IllegalArgumentException("attention shapes: q " + q + ", out " + out + ", batch " + batch);
        }
        tokens(batch.tokens(), q, out);
    }

    /**
     * {@link Backend#shortConv}'s shapes: float rows of one head without values, {@code length}
     * taps per channel of out's width, the tokens present in out, every position read in its table.
     */
    public static void shortConv(KvStorage rows, AttentionBatch batch, float[] taps, int length, FloatMatrix out) {
        if (rows.type() != KvCacheType.F32 || rows.kvHeads() != 1 || rows.valueDim() != 0 || length < 1
                || rows.keyDim() != out.cols() || (long) length * out.cols() != taps.length) {
            throw new IllegalArgumentException("shortConv shapes: " + length + " taps of " + taps.length + " weights over "
                    + rows.type() + " rows of " + rows.kvHeads() + " head(s), " + rows.keyDim() + " keys and "
                    + rows.valueDim() + " values, into " + out);
        }
        int tokens = batch.tokens();
        tokens(tokens, out, out);
        for (int t = 0; t < tokens; t++) {
            int p = batch.positionOf()[t];
            int[] table = batch.blockTables()[batch.sequenceOf()[t]];
            if (p < 0 || p / rows.blockSize() >= table.length) {
                throw new IllegalArgumentException("token " + t + " at position " + p + " beyond its block table");
            }
            for (int b = Math.max(0, p - length + 1) / rows.blockSize(); b <= p / rows.blockSize(); b++) {
                Objects.checkIndex(table[b], rows.blocks());
            }
        }
    }

    /**
     * {@link Backend#gatedDeltaNet}'s shapes: whole groups of value heads per key head, qkv as wide
     * as the queries, keys and values, one beta and alpha column and one bias and decay per value head,
     * out a value row per head, sequences among the states' slots, each sequence's positions in order.
     */
    public static void gatedDeltaNet(RecurrentStates states, int layer, int[] sequenceOf, int[] positionOf,
                                     FloatMatrix qkv, FloatMatrix beta, FloatMatrix alpha, float[] dtBias,
                                     float[] decay, int keyHeads, FloatMatrix out, int tokens) {
        int heads = states.heads();
        long width = 2L * keyHeads * states.keyDim() + (long) heads * states.valueDim();
        // one gate per value head, or (Kimi's delta attention) one per key channel of each head
        boolean gateShape = alpha.cols() == heads || keyHeads == heads && alpha.cols() == (long) heads * states.keyDim();
        if (keyHeads <= 0 || heads % keyHeads != 0 || qkv.cols() != width || beta.cols() != heads
                || !gateShape || dtBias.length != alpha.cols() || decay.length != heads
                || out.cols() != (long) heads * states.valueDim()) {
            throw new IllegalArgumentException("gatedDeltaNet shapes: " + heads + " value heads over " + keyHeads
                    + " key heads of " + states.keyDim() + " keys and " + states.valueDim() + " values, qkv " + qkv
                    + ", beta " + beta + ", alpha " + alpha + ", " + dtBias.length + " biases, " + decay.length
                    + " decays, out " + out);
        }
        tokens(tokens, qkv, out);
        tokens(tokens, beta, alpha);
        recurrentTokens(states, layer, sequenceOf, positionOf, tokens);
    }

    /**
     * {@link Backend#selectiveScan}'s shapes: whole groups of heads, xbc as wide as the heads'
     * channels and the groups' inputs and outputs, one dt column, bias, decay and skip per head, out a
     * row of channels per head, sequences among the states' slots, each sequence's positions in order.
     */
    public static void selectiveScan(RecurrentStates states, int layer, int[] sequenceOf, int[] positionOf,
                                     FloatMatrix xbc, FloatMatrix dt, float[] dtBias, float[] decay, float[] skip,
                                     int groups, FloatMatrix out, int tokens) {
        int heads = states.heads();
        long width = (long) heads * states.valueDim() + 2L * groups * states.keyDim();
        if (groups <= 0 || heads % groups != 0 || xbc.cols() != width || dt.cols() != heads || dtBias.length != heads
                || decay.length != heads || skip.length != heads || out.cols() != (long) heads * states.valueDim()) {
            throw new IllegalArgumentException("selectiveScan shapes: " + heads + " heads of " + states.valueDim()
                    + " channels over " + groups + " groups of " + states.keyDim() + " states, xbc " + xbc + ", dt " + dt
                    + ", " + dtBias.length + " biases, " + decay.length + " decays, " + skip.length + " skips, out " + out);
        }
        tokens(tokens, xbc, out);
        tokens(tokens, dt, dt);
        recurrentTokens(states, layer, sequenceOf, positionOf, tokens);
    }

    /** A recurrent op's layer among the states', sequences among their slots, each sequence's positions in order. */
    private static void recurrentTokens(RecurrentStates states, int layer, int[] sequenceOf, int[] positionOf, int tokens) {
        Objects.checkIndex(layer, states.layers());
        if (tokens > sequenceOf.length || tokens > positionOf.length) {
            throw new IllegalArgumentException(tokens + " tokens for " + sequenceOf.length + " sequence ids");
        }
        for (int t = 0; t < tokens; t++) {
            Objects.checkIndex(sequenceOf[t], states.sequences());
            if (positionOf[t] < 0) {
                throw new IllegalArgumentException("token " + t + " at position " + positionOf[t]);
            }
            for (int u = t + 1; u < tokens; u++) {
                if (sequenceOf[u] == sequenceOf[t]) {
                    if (positionOf[u] != positionOf[t] + 1) {
                        throw new IllegalArgumentException("sequence " + sequenceOf[t] + " goes from position "
                                + positionOf[t] + " to " + positionOf[u] + ": a recurrent state takes positions in order");
                    }
                    break;
                }
            }
        }
    }

    /**
     * {@link Backend#storeKv}'s shapes: k as wide as the cache's keys, v as wide as its values
     * (v is not read, and may be null, where the cache keeps no values).
     */
    public static void storeKv(KvStorage kv, FloatMatrix k, FloatMatrix v, int tokens) {
        boolean values = kv.valueDim() > 0;
        if (k.cols() != kv.keyDim() || (values && (v == null || v.cols() != kv.valueDim()))) {
            throw new IllegalArgumentException("storeKv: k " + k + " and v " + v + " for key/value widths "
                    + kv.keyDim() + "/" + kv.valueDim());
        }
        tokens(tokens, k, values ? v : k);
    }

    /** A bias row of x's width at {@code offset} of {@code bias}. */
    public static void bias(float[] bias, int offset, FloatMatrix x) {
        if (offset < 0 || (long) offset + x.cols() > bias.length) {
            throw new IllegalArgumentException("bias of " + bias.length + " values has no " + x.cols()
                    + " from offset " + offset + " for " + x);
        }
    }

    /**
     * A gated activation's operands ({@link Backend#siluMul}, {@link Backend#swigluClamped}): gate
     * and up as wide as each other, the tokens present in both.
     */
    public static void gated(String op, FloatMatrix gate, FloatMatrix up, int tokens) {
        if (gate.cols() != up.cols()) {
            throw new IllegalArgumentException(op + " shapes: " + gate + ", " + up);
        }
        tokens(tokens, gate, up);
    }

    /** {@code out = W[matrix] x} is well formed: the matrix exists, the shapes agree, out is not x. */
    public static void matmul(Weight w, int matrix, FloatMatrix x, FloatMatrix out, int tokens) {
        Objects.checkIndex(matrix, w.count());
        if (x.cols() != w.cols() || out.cols() != w.rows()) {
            throw new IllegalArgumentException("matmul of " + w + " needs x with " + w.cols()
                    + " columns and out with " + w.rows() + ", got " + x + " and " + out);
        }
        if (x == out) {
            throw new IllegalArgumentException("matmul cannot write into its input");
        }
        tokens(tokens, x, out);
    }

    /**
     * {@link Backend#matmulHeads} is well formed: one matrix per head, every head's block inside
     * its row of x and of out, out's blocks apart, x not out, the tokens present.
     */
    public static void matmulHeads(Weight w, FloatMatrix x, int xCol, int xStride, FloatMatrix out, int outCol,
                                   int outStride, int heads, int tokens) {
        if (heads < 1 || heads != w.count() || xCol < 0 || outCol < 0 || xStride < 0 || outStride < 0
                || xCol + (long) (heads - 1) * xStride + w.cols() > x.cols()
                || outCol + (long) (heads - 1) * outStride + w.rows() > out.cols()
                || (heads > 1 && outStride < w.rows())) {
            throw new IllegalArgumentException("matmulHeads of " + w + " over " + heads + " heads: x blocks from column "
                    + xCol + " every " + xStride + " of " + x + ", out blocks from column " + outCol + " every "
                    + outStride + " of " + out);
        }
        if (x == out) {
            throw new IllegalArgumentException("matmulHeads cannot write into its input");
        }
        tokens(tokens, x, out);
    }

    /**
     * {@link Backend#copyColumns} is well formed: positive width and groups, every block inside its
     * row on both sides, destination blocks apart (overlapping ones would leave the result to
     * whichever of a device's threads writes last), the rows present, src and dst apart.
     */
    public static void copyColumns(FloatMatrix src, int srcCol, int srcStride, FloatMatrix dst, int dstCol, int dstStride,
                                   int width, int groups, int rows) {
        if (width < 1 || groups < 1 || srcCol < 0 || dstCol < 0 || srcStride < 0 || dstStride < 0
                || srcCol + (long) (groups - 1) * srcStride + width > src.cols()
                || dstCol + (long) (groups - 1) * dstStride + width > dst.cols()) {
            throw new IllegalArgumentException("copyColumns of " + groups + " blocks of " + width + " from column "
                    + srcCol + " every " + srcStride + " of " + src + " to column " + dstCol + " every " + dstStride
                    + " of " + dst);
        }
        if (groups > 1 && dstStride < width) {
            throw new IllegalArgumentException("copyColumns needs destination blocks apart: " + groups + " blocks of "
                    + width + " every " + dstStride + " columns");
        }
        if (src == dst) {
            throw new IllegalArgumentException("copyColumns cannot copy within one matrix");
        }
        tokens(rows, src, dst);
    }

    /** {@link Backend#sigmoidGatedAdd} is well formed: src and dst of one width, gate, src and dst of {@code tokens} rows. */
    public static void sigmoidGatedAdd(FloatMatrix gate, FloatMatrix src, FloatMatrix dst, int tokens) {
        if (src.cols() != dst.cols()) {
            throw new IllegalArgumentException("sigmoidGatedAdd shapes: " + src + " -> " + dst);
        }
        tokens(tokens, src, dst);
        tokens(tokens, gate, gate);
    }

    /**
     * {@link Backend#topRows}: the rows exist, {@code 1 <= count <= min(columns, MAX_TOP_ROWS)},
     * the arrays hold {@code count} results (one log-sum) per row, and {@code wanted}, if given,
     * one flag per row.
     */
    public static void topRows(FloatMatrix logits, int rows, int count, int[] wanted, int[] ids, float[] values,
                               double[] logZ) {
        tokens(rows, logits, logits);
        if (wanted != null && wanted.length < rows) {
            throw new IllegalArgumentException("topRows of " + rows + " rows with " + wanted.length + " wanted");
        }
        if (count < 1 || count > Math.min(logits.cols(), Backend.MAX_TOP_ROWS)) {
            throw new IllegalArgumentException("cannot find the best " + count + " of " + logits.cols()
                    + " logits per row (at most " + Backend.MAX_TOP_ROWS + ")");
        }
        long results = (long) rows * count;
        if (ids.length < results || values.length < results || logZ.length < rows) {
            throw new IllegalArgumentException("topRows of " + rows + " rows by " + count + " into arrays of "
                    + ids.length + " ids, " + values.length + " values and " + logZ.length + " log-sums");
        }
    }

    /**
     * {@link Backend#routedExperts} is well formed: router logits (T, E), h and x (T, D), gate and up
     * stacks of E matrices F x D (gate null exactly where the form is ungated), down a stack of E
     * matrices D x F, the form's biases (where it has them) E x F, E x F and E x D values, and
     * 1 <= k <= E.
     */
    public static void routedExperts(FloatMatrix routerLogits, FloatMatrix h, Weight gate, Weight up, Weight down,
                                     ExpertFfnForm form, int k, FloatMatrix x, int tokens) {
        if ((gate == null) != form.ungated()) {
            throw new IllegalArgumentException(form.ungated() ? "experts without a gate take no gate weights, got "
                    + gate : "routed experts in the form " + form + " need gate weights");
        }
        int experts = up.count();
        int dim = up.cols();
        int ffn = up.rows();
        if (gate != null && (gate.count() != experts || gate.rows() != ffn || gate.cols() != dim)) {
            throw new IllegalArgumentException("routed experts need gate and up of E x (F x D); got gate " + gate
                    + ", up " + up);
        }
        if (up.count() != experts || down.count() != experts || routerLogits.cols() != experts
                || up.rows() != ffn || up.cols() != dim || down.rows() != dim || down.cols() != ffn
                || h.cols() != dim || x.cols() != dim) {
            throw new IllegalArgumentException("routed experts need router logits (T, E), h and x (T, D), gate and up"
                    + " of E x (F x D) and down of E x (D x F); got logits " + routerLogits + ", h " + h + ", gate "
                    + gate + ", up " + up + ", down " + down + ", x " + x);
        }
        if (form.biased() && ((long) form.gateBias().length != (long) experts * ffn
                || (long) form.upBias().length != (long) experts * ffn
                || (long) form.downBias().length != (long) experts * dim)) {
            throw new IllegalArgumentException("routed experts' biases must stack " + experts + " rows of " + ffn
                    + " (gate, up) and of " + dim + " (down) values; got " + form.gateBias().length + ", "
                    + form.upBias().length + " and " + form.downBias().length);
        }
        if (k < 1 || k > experts) {
            throw new IllegalArgumentException("cannot route to the top " + k + " of " + experts + " experts");
        }
        tokens(tokens, h, x);
        tokens(tokens, routerLogits, routerLogits);
    }

    /**
     * As above, with the routing rule: its k within 1..E, a selection bias of E values where it has
     * one, and E experts that split into its equal groups.
     */
    public static void routedExperts(FloatMatrix routerLogits, FloatMatrix h, Weight gate, Weight up, Weight down,
                                     ExpertFfnForm form, TopKRouting routing, FloatMatrix x, int tokens) {
        routedExperts(routerLogits, h, gate, up, down, form, routing.k(), x, tokens);
        int experts = up.count();
        if (routing.selectionBias() != null && routing.selectionBias().length != experts) {
            throw new IllegalArgumentException("a selection bias of " + routing.selectionBias().length
                    + " values for " + experts + " experts");
        }
        if (experts % routing.groupCount() != 0) {
            throw new IllegalArgumentException(experts + " experts do not fall into " + routing.groupCount()
                    + " equal groups");
        }
    }
}
