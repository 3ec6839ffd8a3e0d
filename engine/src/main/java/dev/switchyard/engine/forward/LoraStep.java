package dev.switchyard.engine.forward;

import dev.switchyard.engine.lora.LoraMix;
import dev.switchyard.engine.lora.LoraTarget;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.FloatMatrix;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies LoRA adapters inside a step, row by row: each product {@code y = W x} an adapter changes
 * gains {@code s B (A x)} on exactly the rows whose sequence applies that adapter, at that
 * sequence's scale {@code s}, so a step mixes sequences with different adapters (or none) and no
 * sequence's rows see another's. Per adapter and product: gather its rows (unless it is every row),
 * A, B, then a weighted scatter-add into the product's output, all backend ops.
 *
 * <p>Scratch is sized once, a matrix per width a product needs; a step allocates nothing.
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

    LoraStep(List<AdapterWeights> adapters, Backend backend, int maxTokens) {
        this.backend = backend;
        this.adapters = adapters.size();
        Map<Long, FloatMatrix> scratch = new HashMap<>();
        this.bound = new Bound[this.adapters][][];
        for (int a = 0; a < this.adapters; a++) {
            AdapterWeights w = adapters.get(a);
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
    }

    private FloatMatrix scratch(Map<Long, FloatMatrix> scratch, int role, int width, int maxTokens) {
        return scratch.computeIfAbsent(((long) role << 32) | width, k -> backend.allocate(maxTokens, width));
    }

    int adapterCount() {
        return adapters;
    }

    /** Reads which rows of {@code batch} apply which adapter; a step of base-model rows alone costs nothing after. */
    void prepare(StepBatch batch) {
        active = false;
        java.util.Arrays.fill(counts, 0);
        java.util.Arrays.fill(headCounts, 0);
        int t = batch.tokens;
        for (int i = 0; i < t; i++) {
            LoraMix mix = batch.adapters[i];
            if (mix == null || mix.isNone()) {
                continue;
            }
            int span = Math.min(mix.span(), adapters);
            for (int a = 0; a < span; a++) {
                float s = mix.scale(a);
                if (s != 0) {
                    rows[a][counts[a]] = i;
                    scales[a][counts[a]++] = s;
                    active = true;
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
                add(b, in, out, rows[a], scales[a], n, everyRow[a]);
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
                add(b, in, out, headRows[a], headScales[a], count, count == n);
            }
        }
    }

    private void add(Bound b, FloatMatrix in, FloatMatrix out, int[] rowList, float[] rowScales, int n, boolean every) {
        FloatMatrix x = in;
        if (!every) {
            backend.gatherRows(in, rowList, b.gathered, n);
            x = b.gathered;
        }
        backend.matmul(b.pair.a(), 0, x, b.ranked, n);
        backend.matmul(b.pair.b(), 0, b.ranked, b.delta, n);
        float factor = b.pair.factor();
        for (int i = 0; i < n; i++) {
            weights[i] = rowScales[i] * factor;
        }
        backend.scatterAddRows(b.delta, rowList, weights, out, n);
    }
}
