package dev.switchyard.engine.forward;

import dev.switchyard.engine.lora.LoraMix;
import dev.switchyard.engine.lora.LoraTarget;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.FloatMatrix;
import java.util.List;
import java.util.Map;

/**
 * Applies LoRA adapters inside a step, row by row: each product {@code y = W x} an adapter changes
 * gains {@code s B (A x)} on exactly the rows whose sequence applies that adapter, at that
 * sequence's scale {@code s}, so a step mixes sequences with different adapters (or none) and no
 * sequence's rows see another's. Per adapter and product: gather its rows (unless it is every row),
 * A, B, then a weighted scatter-add into the product's output, all backend ops.
 *
 * <p>Scratch is sized once, a matrix per role and width a product needs; a step allocates nothing.
 */
final class LoraStep {

    /** A pair with the scratch its product goes through. */
    private record Bound(AdapterWeights.Pair pair, FloatMatrix gathered, FloatMatrix ranked, FloatMatrix delta) {
    }

    private final Backend backend;
    private final int adapters;
    /** [adapter][block][target]. */
    private final Bound[][][] bound;
    /** Per adapter: this step's rows that apply it, their scales, how many; whether that is every row. */
    private final int[][] rows;
    private final float[][] scales;
    private final int[] counts;
    private final boolean[] everyRow;
    /** The same over the logit rows, for the output head. */
    private final int[][] headRows;
    private final float[][] headScales;
    private final int[] headCounts;
    private final float[] weights;
    private boolean active;
    /** Per adapter and step row: the scale the row applies it at (0: not at all). */
    private final float[][] rowScales;
    /** Per adapter: whether it adapts routed experts; and whether this step's rows apply such an adapter. */
    private final boolean[] adaptsExperts;
    private boolean expertsAdapted;
    /** The routed expert {@link #applyExpert} adapts: its block and number. */
    private int expertBlock;
    private int expert;
    /** Per adapter: which of the current expert's tokens apply it (their places among its rows), at what scales, how many. */
    private final int[][] localRows;
    private final float[][] localScales;
    private final int[] localCounts;

    /**
     * @param scratch matrices by role and width, taken from and added to: a transformer keeps them
     *                across the steps it builds as adapters are loaded and unloaded, since a
     *                device's allocations are only freed with the backend
     */
    LoraStep(List<AdapterWeights> adapters, Backend backend, int maxTokens, Map<Long, FloatMatrix> scratch) {
        this.backend = backend;
        this.adapters = adapters.size();
        this.bound = new Bound[this.adapters][][];
        for (int a = 0; a < this.adapters; a++) {
            AdapterWeights w = adapters.get(a);
            if (w == null) {
                // an unloaded adapter's number: no sequence applies it
                bound[a] = new Bound[0][];
                continue;
            }
            bound[a] = new Bound[w.layers()][LoraTarget.values().length];
            for (int l = 0; l < w.layers(); l++) {
                for (LoraTarget t : LoraTarget.values()) {
                    AdapterWeights.Pair p = w.pair(t, l);
                    if (p != null && (t.perBlock() || l == 0)) {
                        // the three roles never share a matrix, whatever their widths
                        bound[a][l][t.ordinal()] = new Bound(p, scratch(scratch, 0, p.a().cols(), maxTokens),
                                scratch(scratch, 1, p.a().rows(), maxTokens), scratch(scratch, 2, p.b().rows(), maxTokens));
                    }
                }
            }
        }
        this.rows = new int[this.adapters][maxTokens];
        this.scales = new float[this.adapters][maxTokens];
        this.counts = new int[this.adapters];
        this.everyRow = new boolean[this.adapters];
        this.headRows = new int[this.adapters][maxTokens];
        this.headScales = new float[this.adapters][maxTokens];
        this.headCounts = new int[this.adapters];
        this.weights = new float[maxTokens];
        this.rowScales = new float[this.adapters][maxTokens];
        this.adaptsExperts = new boolean[this.adapters];
        for (int a = 0; a < this.adapters; a++) {
            adaptsExperts[a] = adapters.get(a) != null && adapters.get(a).adaptsExperts();
        }
        this.localRows = new int[this.adapters][maxTokens];
        this.localScales = new float[this.adapters][maxTokens];
        this.localCounts = new int[this.adapters];
    }

    private FloatMatrix scratch(Map<Long, FloatMatrix> scratch, int role, int width, int maxTokens) {
        return scratch.computeIfAbsent(((long) role << 32) | width, k -> backend.allocate(maxTokens, width));
    }

    /** Reads which rows of {@code batch} apply which adapter; a step of base-model rows alone costs nothing after. */
    void prepare(StepBatch batch) {
        active = false;
        expertsAdapted = false;
        java.util.Arrays.fill(counts, 0);
        java.util.Arrays.fill(headCounts, 0);
        int t = batch.tokens;
        for (int i = 0; i < t; i++) {
            LoraMix mix = batch.adapters[i];
            boolean none = mix == null || mix.isNone();
            for (int a = 0; a < adapters; a++) {
                float s = none ? 0 : mix.scale(a);
                rowScales[a][i] = s;
                if (s != 0) {
                    rows[a][counts[a]] = i;
                    scales[a][counts[a]++] = s;
                    active = true;
                    expertsAdapted |= adaptsExperts[a];
                }
            }
        }
        if (!active) {
            return;
        }
        for (int a = 0; a < adapters; a++) {
            everyRow[a] = counts[a] == t;
        }
        for (int j = 0; j < batch.logitCount; j++) {
            LoraMix mix = batch.adapters[batch.logitRows[j]];
            if (mix == null || mix.isNone()) {
                continue;
            }
            int span = Math.min(mix.span(), adapters);
            for (int a = 0; a < span; a++) {
                float s = mix.scale(a);
                if (s != 0) {
                    headRows[a][headCounts[a]] = j;
                    headScales[a][headCounts[a]++] = s;
                }
            }
        }
    }

    /** Adds every applied adapter's share to {@code out = W x}, the product {@code target} makes in block {@code layer}. */
    void apply(LoraTarget target, int layer, FloatMatrix in, FloatMatrix out) {
        if (!active) {
            return;
        }
        for (int a = 0; a < adapters; a++) {
            int n = counts[a];
            Bound b = n == 0 || layer >= bound[a].length ? null : bound[a][layer][target.ordinal()];
            if (b != null) {
                add(b, 0, in, out, rows[a], scales[a], n, everyRow[a]);
            }
        }
    }

    /** Whether this step's rows apply an adapter of routed experts (which then run as {@link #applyExpert} can adapt). */
    boolean adaptsExperts() {
        return expertsAdapted;
    }

    /**
     * Names the routed expert the next {@link #applyExpert} calls adapt: block, expert, and the step
     * rows of its {@code n} tokens; finds, once for its three products, which tokens apply which adapter.
     */
    void expert(int block, int expert, int[] rows, int n) {
        this.expertBlock = block;
        this.expert = expert;
        for (int a = 0; a < adapters; a++) {
            int m = 0;
            if (counts[a] > 0 && adaptsExperts[a]) {
                float[] byRow = rowScales[a];
                for (int i = 0; i < n; i++) {
                    float s = byRow[rows[i]];
                    if (s != 0) {
                        localRows[a][m] = i;
                        localScales[a][m++] = s;
                    }
                }
            }
            localCounts[a] = m;
        }
    }

    /**
     * Adds to {@code out}, a product of the expert {@link #expert} named over its {@code n} gathered
     * tokens ({@code in}), the share of each adapter of {@code target} that those tokens' rows apply.
     */
    void applyExpert(LoraTarget target, FloatMatrix in, FloatMatrix out, int n) {
        if (!expertsAdapted) {
            return;
        }
        for (int a = 0; a < adapters; a++) {
            int m = localCounts[a];
            Bound b = m == 0 || expertBlock >= bound[a].length ? null : bound[a][expertBlock][target.ordinal()];
            if (b != null) {
                add(b, expert, in, out, localRows[a], localScales[a], m, m == n);
            }
        }
    }

    /** The same for the output head, over the {@code n} logit rows gathered into {@code in}. */
    void applyHead(FloatMatrix in, FloatMatrix out, int n) {
        if (!active) {
            return;
        }
        for (int a = 0; a < adapters; a++) {
            int count = headCounts[a];
            Bound b = count == 0 || bound[a].length == 0 ? null : bound[a][0][LoraTarget.OUTPUT.ordinal()];
            if (b != null) {
                add(b, 0, in, out, headRows[a], headScales[a], count, count == n);
            }
        }
    }

    /** {@code out[rowList[i]] += rowScales[i] x factor x B (A in[rowList[i]])}, with matrix {@code matrix} of stacked pairs. */
    private void add(Bound b, int matrix, FloatMatrix in, FloatMatrix out, int[] rowList, float[] rowScales, int n,
                     boolean every) {
        FloatMatrix x = in;
        if (!every) {
            backend.gatherRows(in, rowList, b.gathered, n);
            x = b.gathered;
        }
        backend.matmul(b.pair.a(), matrix, x, b.ranked, n);
        backend.matmul(b.pair.b(), matrix, b.ranked, b.delta, n);
        float factor = b.pair.factor();
        for (int i = 0; i < n; i++) {
            weights[i] = rowScales[i] * factor;
        }
        backend.scatterAddRows(b.delta, rowList, weights, out, n);
    }
}
