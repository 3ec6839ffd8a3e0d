package dev.switchyard.engine.forward;

import dev.switchyard.engine.model.ExpertRouting;
import dev.switchyard.kernels.AttentionBatch;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.ExpertFfnForm;
import dev.switchyard.kernels.ExpertSlots;
import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.KvStorage;
import dev.switchyard.kernels.RecurrentStates;
import dev.switchyard.kernels.RopeSpec;
import dev.switchyard.kernels.TopKRouting;
import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

/**
 * A CPU backend that claims to route on the device, doing {@link #routedExperts} with plain host
 * ops one (token, expert) pair at a time, exactly as the method's contract reads (the routing rule
 * given, through the host's own {@link ExpertSelector}; the expert FFN in the form given: biases by
 * offset and the clamped SwiGLU for gpt-oss, the ungated squared ReLU for Nemotron-H): so the engine's
 * choice between host and device routing, and what it passes, can be tested where no GPU is.
 * Counts the calls, the tokens they covered and the read-backs; keeps each slot's chosen experts.
 */
final class HostRoutingAsDeviceBackend implements Backend {

    private final CpuBackend cpu;
    private int calls;
    private int reads;
    private int[][] slots = new int[0][];
    private int largestStep;
    private FloatMatrix in;
    private FloatMatrix gateOut;
    private FloatMatrix upOut;
    private FloatMatrix out;

    HostRoutingAsDeviceBackend(CpuBackend cpu) {
        this.cpu = cpu;
    }

    int calls() {
        return calls;
    }

    int largestStep() {
        return largestStep;
    }

    @Override
    public boolean routesOnDevice() {
        return true;
    }

    @Override
    public void routedExperts(FloatMatrix routerLogits, FloatMatrix h, Weight gate, Weight up, Weight down,
                              ExpertFfnForm form, TopKRouting routing, FloatMatrix x, int tokens, int slot) {
        int k = routing.k();
        calls++;
        if (slots.length <= slot) {
            slots = Arrays.copyOf(slots, slot + 1);
        }
        slots[slot] = new int[tokens * k];
        largestStep = Math.max(largestStep, tokens);
        int experts = routerLogits.cols();
        int ffn = up.rows();
        if (in == null || gateOut.cols() != ffn || in.cols() != h.cols()) {
            in = cpu.allocate(1, h.cols());
            gateOut = cpu.allocate(1, ffn);
            upOut = cpu.allocate(1, ffn);
            out = cpu.allocate(1, h.cols());
        }
        float[] logits = new float[experts];
        float[] probabilities = new float[experts];
        int[] chosen = new int[k];
        float[] weights = new float[k];
        ExpertSelector selector = new ExpertSelector(new ExpertRouting(routing.sigmoid() ? ExpertRouting.Gating.SIGMOID
                : ExpertRouting.Gating.SOFTMAX, routing.groupCount(), routing.groupsUsed(), routing.weightScale()), experts);
        for (int t = 0; t < tokens; t++) {
            routerLogits.readRow(t, logits);
            selector.scores(logits, probabilities);
            selector.select(probabilities, routing.selectionBias(), k, routing.normalize(), chosen, weights, 0);
            for (int j = 0; j < k; j++) {
                weights[j] *= routing.weightScale();
            }
            System.arraycopy(chosen, 0, slots[slot], t * k, k);
            for (int e = 0; e < experts; e++) { // the token's experts in ascending index
                for (int j = 0; j < k; j++) {
                    if (chosen[j] == e) {
                        cpu.gatherRows(h, new int[] {t}, in, 1);
                        if (routing.weighsInputs()) {
                            cpu.scaleRows(in, new float[] {weights[j]}, 1);
                        }
                        if (form.ungated()) {
                            // Nemotron-H: down (max(up h, 0))^2
                            cpu.matmul(up, e, in, upOut, 1);
                            cpu.reluSquared(upOut, 1);
                            cpu.matmul(down, e, upOut, out, 1);
                            cpu.scatterAddRows(out, new int[] {t}, new float[] {weights[j]}, x, 1);
                            continue;
                        }
                        cpu.matmul(gate, e, in, gateOut, 1);
                        cpu.matmul(up, e, in, upOut, 1);
                        if (form.biased()) {
                            cpu.addBias(gateOut, form.gateBias(), e * ffn, 1);
                            cpu.addBias(upOut, form.upBias(), e * ffn, 1);
                        }
                        if (form.clamped()) {
                            cpu.swigluClamped(gateOut, upOut, form.alpha(), form.limit(), 1);
                        } else {
                            cpu.siluMul(gateOut, upOut, 1);
                        }
                        cpu.matmul(down, e, gateOut, out, 1);
                        if (form.biased()) {
                            cpu.addBias(out, form.downBias(), e * h.cols(), 1);
                        }
                        cpu.scatterAddRows(out, new int[] {t}, new float[] {routing.weighsInputs() ? 1f : weights[j]},
                                x, 1);
                    }
                }
            }
        }
    }

    @Override
    public void readRoutedExperts(int count, int tokens, int k, int[] out) {
        reads++;
        for (int s = 0; s < count; s++) {
            if (s >= slots.length || slots[s] == null || slots[s].length != tokens * k) {
                throw new IllegalArgumentException("slot " + s + " was not routed with " + tokens + " tokens");
            }
            System.arraycopy(slots[s], 0, out, s * tokens * k, tokens * k);
        }
    }

    int reads() {
        return reads;
    }

    @Override
    public String name() {
        return "cpu routing as a device";
    }

    @Override
    public int threads() {
        return cpu.threads();
    }

    @Override
    public Weight weight(GgmlType type, MemorySegment data, long[] dims) {
        return cpu.weight(type, data, dims);
    }

    @Override
    public ExpertSlots expertSlots(int count, long slotBytes, List<MemorySegment> hostRegions) {
        return cpu.expertSlots(count, slotBytes, hostRegions);
    }

    @Override
    public FloatMatrix allocate(int rows, int cols) {
        return cpu.allocate(rows, cols);
    }

    @Override
    public KvStorage allocateKv(int layers, int blocks, int blockSize, int kvHeads, int keyDim, int valueDim,
                                KvCacheType type) {
        return cpu.allocateKv(layers, blocks, blockSize, kvHeads, keyDim, valueDim, type);
    }

    @Override
    public void matmul(Weight w, int matrix, FloatMatrix x, FloatMatrix out, int tokens) {
        cpu.matmul(w, matrix, x, out, tokens);
    }

    @Override
    public void embed(Weight table, int[] ids, FloatMatrix out, int tokens) {
        cpu.embed(table, ids, out, tokens);
    }

    @Override
    public void rmsNorm(FloatMatrix x, float[] gamma, float eps, FloatMatrix out, int tokens) {
        cpu.rmsNorm(x, gamma, eps, out, tokens);
    }

    @Override
    public void rmsNormHeads(FloatMatrix x, float[] gamma, float eps, int headDim, int tokens) {
        cpu.rmsNormHeads(x, gamma, eps, headDim, tokens);
    }

    @Override
    public void addBias(FloatMatrix x, float[] bias, int offset, int tokens) {
        cpu.addBias(x, bias, offset, tokens);
    }

    @Override
    public void rope(FloatMatrix x, int[] positions, int heads, int headDim, RopeSpec rope, int tokens) {
        cpu.rope(x, positions, heads, headDim, rope, tokens);
    }

    @Override
    public void storeKv(KvStorage kv, int layer, FloatMatrix k, FloatMatrix v, int[] slots, int tokens) {
        cpu.storeKv(kv, layer, k, v, slots, tokens);
    }

    @Override
    public void attention(FloatMatrix q, KvStorage kv, int layer, AttentionBatch batch, FloatMatrix out) {
        cpu.attention(q, kv, layer, batch, out);
    }

    @Override
    public void siluMul(FloatMatrix gate, FloatMatrix up, int tokens) {
        cpu.siluMul(gate, up, tokens);
    }

    @Override
    public void swigluClamped(FloatMatrix gate, FloatMatrix up, float alpha, float limit, int tokens) {
        cpu.swigluClamped(gate, up, alpha, limit, tokens);
    }

    @Override
    public void softmax(FloatMatrix x, int tokens) {
        cpu.softmax(x, tokens);
    }

    @Override
    public void add(FloatMatrix y, FloatMatrix x, int tokens) {
        cpu.add(y, x, tokens);
    }

    @Override
    public void gatherRows(FloatMatrix src, int[] rows, FloatMatrix dst, int n) {
        cpu.gatherRows(src, rows, dst, n);
    }

    @Override
    public void scatterAddRows(FloatMatrix src, int[] rows, float[] weights, FloatMatrix dst, int n) {
        cpu.scatterAddRows(src, rows, weights, dst, n);
    }

    @Override
    public void sigmoidMul(FloatMatrix gate, FloatMatrix x, int tokens) {
        cpu.sigmoidMul(gate, x, tokens);
    }

    @Override
    public void mul(FloatMatrix y, FloatMatrix x, int tokens) {
        cpu.mul(y, x, tokens);
    }

    @Override
    public void reluSquared(FloatMatrix x, int tokens) {
        cpu.reluSquared(x, tokens);
    }

    @Override
    public void shortConv(KvStorage rows, int layer, AttentionBatch batch, float[] taps, int length, FloatMatrix out) {
        cpu.shortConv(rows, layer, batch, taps, length, out);
    }

    @Override
    public RecurrentStates allocateStates(int layers, int sequences, int heads, int keyDim, int valueDim) {
        return cpu.allocateStates(layers, sequences, heads, keyDim, valueDim);
    }

    @Override
    public void copyState(RecurrentStates states, int from, int to) {
        cpu.copyState(states, from, to);
    }

    @Override
    public void gatedDeltaNet(RecurrentStates states, int layer, int[] sequenceOf, int[] positionOf, FloatMatrix qkv,
                              FloatMatrix beta, FloatMatrix alpha, float[] dtBias, float[] decay, int keyHeads,
                              boolean tiledHeads, float eps, FloatMatrix out, int tokens) {
        cpu.gatedDeltaNet(states, layer, sequenceOf, positionOf, qkv, beta, alpha, dtBias, decay, keyHeads, tiledHeads,
                eps, out, tokens);
    }

    @Override
    public void selectiveScan(RecurrentStates states, int layer, int[] sequenceOf, int[] positionOf, FloatMatrix xbc,
                              FloatMatrix dt, float[] dtBias, float[] decay, float[] skip, int groups, FloatMatrix out,
                              int tokens) {
        cpu.selectiveScan(states, layer, sequenceOf, positionOf, xbc, dt, dtBias, decay, skip, groups, out, tokens);
    }

    @Override
    public void scaleRows(FloatMatrix x, float[] factors, int n) {
        cpu.scaleRows(x, factors, n);
    }

    @Override
    public void matmulHeads(Weight w, FloatMatrix x, int xCol, int xStride, FloatMatrix out, int outCol, int outStride,
                            int heads, int tokens) {
        cpu.matmulHeads(w, x, xCol, xStride, out, outCol, outStride, heads, tokens);
    }

    @Override
    public void copyColumns(FloatMatrix src, int srcCol, int srcStride, FloatMatrix dst, int dstCol, int dstStride,
                            int width, int groups, int rows) {
        cpu.copyColumns(src, srcCol, srcStride, dst, dstCol, dstStride, width, groups, rows);
    }

    @Override
    public void sigmoidGatedAdd(FloatMatrix gate, FloatMatrix src, FloatMatrix dst, int tokens) {
        cpu.sigmoidGatedAdd(gate, src, dst, tokens);
    }

    @Override
    public void topRows(FloatMatrix logits, int rows, int count, int[] wanted, int[] ids, float[] values,
                        double[] logZ) {
        cpu.topRows(logits, rows, count, wanted, ids, values, logZ);
    }

    @Override
    public void close() {
        cpu.close();
    }
}
