package dev.switchyard.kernels.cpu;

import dev.switchyard.kernels.AttentionBatch;
import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.KvStorage;
import dev.switchyard.kernels.RecurrentStates;
import dev.switchyard.kernels.RopeSpec;
import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.format.GgmlType;
import dev.switchyard.kernels.format.TensorCodecs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The CPU backend's ops besides the matmul, as a decode step and a prompt chunk call them, allocate
 * nothing once compiled: norms, RoPE in both layouts, the KV cache append and attention in each
 * cache type, the activations, the row gathers and scatters, the per-head products, the best rows
 * of logits and the sampler's whole-row passes, and the recurrent blocks' delta rule, scan and short
 * convolution. Run by {@link KernelAllocationCheck} with the argument {@code ops}, in a JVM of its own
 * at each vector width. One backend thread, so every op runs on the calling thread, whose allocated
 * bytes are counted.
 */
final class OpAllocationCheck {

    private static final int WARM_CALLS = 6_000;
    private static final int DIM = 256;
    private static final int HEADS = 4;
    private static final int KV_HEADS = 2;
    private static final int HEAD_DIM = 64;
    private static final int FFN = 512;
    private static final int VOCAB = 1024;
    private static final int BLOCK = 16;
    private static final int BLOCKS = 8;

    private OpAllocationCheck() {
    }

    /** The ops that allocate, as "op (tokens) (bytes per call)". */
    static List<String> check() {
        List<String> allocating = new ArrayList<>();
        try (CpuBackend b = new CpuBackend(1)) {
            for (int tokens : new int[] {1, 4}) {
                checkAt(b, tokens, allocating);
            }
        }
        return allocating;
    }

    private static void checkAt(CpuBackend b, int t, List<String> allocating) {
        String at = " (" + t + " tokens)";
        FloatMatrix x = filled(b, t, DIM, 1);
        FloatMatrix y = filled(b, t, DIM, 2);
        FloatMatrix h = b.allocate(t, DIM);
        FloatMatrix gate = filled(b, t, FFN, 3);
        FloatMatrix up = filled(b, t, FFN, 4);
        FloatMatrix q = filled(b, t, HEADS * HEAD_DIM, 5);
        FloatMatrix k = filled(b, t, KV_HEADS * HEAD_DIM, 6);
        FloatMatrix v = filled(b, t, KV_HEADS * HEAD_DIM, 7);
        FloatMatrix attended = b.allocate(t, HEADS * HEAD_DIM);
        FloatMatrix logits = filled(b, t, VOCAB, 8);
        float[] gamma = KernelAllocationCheck.gaussian(9, DIM);
        float[] headGamma = KernelAllocationCheck.gaussian(10, HEAD_DIM);
        float[] bias = KernelAllocationCheck.gaussian(11, DIM);
        int[] ids = new int[t];
        int[] positions = new int[t];
        int[] slots = new int[t];
        int[] rows = new int[t];
        float[] weights = new float[t];
        for (int i = 0; i < t; i++) {
            ids[i] = 7 * i + 3;
            positions[i] = 20 + i;
            slots[i] = 20 + i;
            rows[i] = t - 1 - i;
            weights[i] = 0.25f * (i + 1);
        }
        Weight table = quantized(b, GgmlType.Q8_0, VOCAB, DIM, 12);
        Weight heads = quantized(b, GgmlType.F32, HEAD_DIM, HEAD_DIM, 13, HEADS);
        RopeSpec normal = new RopeSpec(false, HEAD_DIM, 10_000, 1);
        RopeSpec neox = new RopeSpec(true, HEAD_DIM / 2, 1_000_000, 1);
        measure("embed" + at, () -> b.embed(table, ids, h, t), allocating);
        measure("rmsNorm" + at, () -> b.rmsNorm(x, gamma, 1e-6f, h, t), allocating);
        measure("rmsNormHeads" + at, () -> b.rmsNormHeads(q, headGamma, 1e-6f, HEAD_DIM, t), allocating);
        measure("addBias" + at, () -> b.addBias(h, bias, 0, t), allocating);
        measure("rope" + at, () -> b.rope(q, positions, HEADS, HEAD_DIM, normal, t), allocating);
        measure("rope neox" + at, () -> b.rope(k, positions, KV_HEADS, HEAD_DIM, neox, t), allocating);
        measure("siluMul" + at, () -> b.siluMul(gate, up, t), allocating);
        measure("sigmoidMul" + at, () -> b.sigmoidMul(gate, up, t), allocating);
        measure("swigluClamped" + at, () -> b.swigluClamped(gate, up, 1.702f, 7f, t), allocating);
        measure("reluSquared" + at, () -> b.reluSquared(up, t), allocating);
        measure("softmax" + at, () -> b.softmax(logits, t), allocating);
        measure("add" + at, () -> b.add(y, x, t), allocating);
        measure("mul" + at, () -> b.mul(y, x, t), allocating);
        measure("sigmoidGatedAdd" + at, () -> b.sigmoidGatedAdd(x, y, h, t), allocating);
        measure("gatherRows" + at, () -> b.gatherRows(x, rows, h, t), allocating);
        measure("scatterAddRows" + at, () -> b.scatterAddRows(x, rows, weights, y, t), allocating);
        measure("scaleRows" + at, () -> b.scaleRows(h, weights, t), allocating);
        measure("copyColumns" + at, () -> b.copyColumns(q, 0, HEAD_DIM, attended, 0, HEAD_DIM, HEAD_DIM / 2, HEADS, t),
                allocating);
        measure("matmulHeads" + at, () -> b.matmulHeads(heads, q, 0, HEAD_DIM, attended, 0, HEAD_DIM, HEADS, t),
                allocating);
        int[] ids1 = new int[t * 8];
        float[] values = new float[t * 8];
        double[] logZ = new double[t];
        float[] ld = ((CpuMatrix) logits).data();
        measure("TopK.topK" + at, () -> TopK.topK(ld, 0, VOCAB, 8, ids1, values, 0), allocating);
        measure("LogitMath.sumExp" + at, () -> logZ[0] = LogitMath.sumExp(ld, 0, VOCAB, 1f), allocating);
        // the sampler's whole-row passes: weights at a temperature, then the inverse-CDF walk
        float[] sampleWeights = new float[VOCAB];
        measure("LogitMath.expInto" + at, () -> logZ[0] = LogitMath.expInto(ld, VOCAB, 4.0, 1 / 0.7, sampleWeights),
                allocating);
        measure("LogitMath.walk" + at, () -> ids1[0] = LogitMath.walk(sampleWeights, VOCAB, 0.6 * logZ[0]),
                allocating);
        measure("topRows" + at, () -> b.topRows(logits, t, 8, null, ids1, values, logZ), allocating);
        // the recurrent blocks: Qwen3.5's gated delta rule (4 value heads on 2 key heads) and Mamba2's scan
        int[] sequenceOf = new int[t];
        float[] perHead = {-0.5f, -1f, -1.5f, -2f};
        float[] dtBias = {0.1f, 0.2f, 0.3f, 0.4f};
        try (RecurrentStates delta = b.allocateStates(1, 1, HEADS, 32, 32);
             RecurrentStates scan = b.allocateStates(1, 1, HEADS, 16, 32)) {
            FloatMatrix qkv = filled(b, t, 2 * 2 * 32 + HEADS * 32, 14);
            FloatMatrix beta = filled(b, t, HEADS, 15);
            FloatMatrix alpha = filled(b, t, HEADS, 16);
            FloatMatrix deltaOut = b.allocate(t, HEADS * 32);
            measure("gatedDeltaNet" + at, () -> b.gatedDeltaNet(delta, 0, sequenceOf, positions, qkv, beta, alpha, dtBias,
                    perHead, 2, true, 1e-6f, deltaOut, t), allocating);
            FloatMatrix xbc = filled(b, t, HEADS * 32 + 2 * 2 * 16, 17);
            FloatMatrix dt = filled(b, t, HEADS, 18);
            FloatMatrix scanOut = b.allocate(t, HEADS * 32);
            measure("selectiveScan" + at, () -> b.selectiveScan(scan, 0, sequenceOf, positions, xbc, dt, dtBias, perHead,
                    dtBias, 2, scanOut, t), allocating);
        }
        for (KvCacheType type : KvCacheType.values()) {
            KvStorage kv = b.allocateKv(1, BLOCKS, BLOCK, KV_HEADS, KV_HEADS * HEAD_DIM, KV_HEADS * HEAD_DIM, type);
            int[][] tables = {{0, 1, 2, 3, 4, 5, 6, 7}};
            AttentionBatch batch = new AttentionBatch(t, sequenceOf, positions, tables, HEADS, KV_HEADS, HEAD_DIM,
                    HEAD_DIM, 0.125f);
            for (int p = 0; p < 24; p += t) {
                int[] fill = new int[t];
                for (int i = 0; i < t; i++) {
                    fill[i] = p + i;
                }
                b.storeKv(kv, 0, k, v, fill, t);
            }
            measure("storeKv " + type + at, () -> b.storeKv(kv, 0, k, v, slots, t), allocating);
            measure("attention " + type + at, () -> b.attention(q, kv, 0, batch, attended), allocating);
            kv.close();
        }
        // LFM2's short convolution over its cached rows (one head, no values), a kernel of 3 taps
        try (KvStorage convRows = b.allocateKv(1, BLOCKS, BLOCK, 1, DIM, 0, KvCacheType.F32)) {
            int[][] tables = {{0, 1, 2, 3, 4, 5, 6, 7}};
            b.storeKv(convRows, 0, x, null, slots, t);
            AttentionBatch rowsBatch = new AttentionBatch(t, new int[t], positions, tables, 1, 1, DIM, DIM, 1f);
            float[] taps = KernelAllocationCheck.gaussian(19, 3 * DIM);
            FloatMatrix convOut = b.allocate(t, DIM);
            measure("shortConv" + at, () -> b.shortConv(convRows, 0, rowsBatch, taps, 3, convOut), allocating);
        }
    }

    private static void measure(String name, Runnable call, List<String> allocating) {
        KernelAllocationCheck.measure(name, call::run, WARM_CALLS, allocating);
    }

    private static FloatMatrix filled(CpuBackend b, int rows, int cols, long seed) {
        CpuMatrix m = (CpuMatrix) b.allocate(rows, cols);
        System.arraycopy(KernelAllocationCheck.gaussian(seed, rows * cols), 0, m.data(), 0, rows * cols);
        return m;
    }

    private static Weight quantized(CpuBackend b, GgmlType type, int rows, int cols, long seed) {
        return quantized(b, type, rows, cols, seed, 1);
    }

    /** {@code count} matrices of rows x cols, stacked. */
    private static Weight quantized(CpuBackend b, GgmlType type, int rows, int cols, long seed, int count) {
        int n = rows * cols * count;
        MemorySegment w = Arena.ofAuto().allocate(type.byteSize(n));
        TensorCodecs.forType(type).quantize(KernelAllocationCheck.gaussian(seed, n), 0, w, 0, n);
        return b.weight(type, w, count == 1 ? new long[] {cols, rows} : new long[] {cols, rows, count});
    }
}
