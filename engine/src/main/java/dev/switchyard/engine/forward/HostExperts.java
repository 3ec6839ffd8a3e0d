package dev.switchyard.engine.forward;

import dev.switchyard.cache.residency.ExpertResidency;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.cpu.CpuBackend;

/**
 * Hybrid execution's host path: a missing routed expert computed on the CPU from the host tier (the
 * mapped file's quantized bytes, where every expert lives anyway) instead of being copied to the
 * device, when {@link HybridCostModel} says that is faster.
 *
 * <p>The host has a CPU backend of its own (its own worker threads: on a GPU the device backend has
 * none to lend, and on the CPU build sharing one would tie the two paths' scratch together) and
 * weights over each layer's stacked expert tensors as mapped, the same views the in-place path
 * uses. An expert's rows travel as the device path's do, only through the host:
 * <pre>
 *   h (T, D) on the device --readRow/writeRow--> in (n, D) on the host      gather the expert's n tokens
 *   gate = W_gate[e] in, up = W_up[e] in (n, ffn); gate = silu(gate) * up   SwiGLU (ExpertFfn)
 *   out = W_down[e] gate (n, D) --readRow/writeRow--> expertOut (n, D) on the device
 * </pre>
 * and the caller scatter-adds {@code expertOut} into the residual exactly as for a device expert,
 * in the same expert order. Same bytes, same kernels: on the CPU backend the result is bitwise the
 * device path's (the CPU kernels' sums do not depend on the thread count); on a GPU it is within the
 * format's tolerance of it. Buffers are sized once for the largest step; nothing is allocated per
 * token. Not thread-safe: one step at a time, as the transformer runs.
 */
final class HostExperts implements AutoCloseable {

    /** How long the load-time measurement of the host's rate runs, and its fewest runs. */
    private static final long SEED_BUDGET_NANOS = 100_000_000;
    private static final int SEED_MIN_RUNS = 3;

    private final ExpertResidency residency;
    private final CpuBackend host;
    private final int maxTokens;
    private final Weight[][] weights;  // [layer][gate, up, down] (up, down without a gate): every expert of the layer, as mapped
    private final long[] expertBytes;  // per layer: one expert's matrices' bytes (what a copy moves)
    private final int gatePart;        // where the gate is in weights[layer], -1 for none (Nemotron-H)
    private final int upPart;
    private final int downPart;
    private final FloatMatrix in;      // (T, D) the expert's gathered tokens
    private final FloatMatrix gate;    // (T, ffn)
    private final FloatMatrix up;      // (T, ffn)
    private final FloatMatrix out;     // (T, D)
    private final float[] row;         // one row of D, on its way between the backends
    private final HybridCostModel costs;

    private HostExperts(ExpertResidency residency, FileExpertSource source, CpuBackend host, int maxTokens,
                        double modeledLinkBytesPerSecond) {
        this.residency = residency;
        this.host = host;
        this.maxTokens = maxTokens;
        int layers = source.layers();
        this.weights = new Weight[layers][source.parts()];
        this.expertBytes = new long[layers];
        this.gatePart = source.gatePart();
        this.upPart = source.upPart();
        this.downPart = source.downPart();
        int dim = 0;
        int ffn = 0;
        for (int l = 0; l < layers; l++) {
            for (int p = 0; p < source.parts(); p++) {
                FileExpertSource.Stack st = source.stack(l, p);
                weights[l][p] = host.weight(st.type(), st.data(), new long[] {st.cols(), st.rows(), source.experts()});
                expertBytes[l] += st.matrixBytes();
            }
            dim = Math.max(dim, weights[l][0].cols());
            ffn = Math.max(ffn, weights[l][0].rows());
        }
        this.in = host.allocate(maxTokens, dim);
        this.gate = host.allocate(maxTokens, ffn);
        this.up = host.allocate(maxTokens, ffn);
        this.out = host.allocate(maxTokens, dim);
        this.row = new float[dim];
        this.costs = new HybridCostModel(modeledLinkBytesPerSecond, measureHostRate());
    }

    /**
     * The host path for {@code residency}'s experts, its rate seeded by a short measurement.
     *
     * @param device    the backend computing everything else: a CPU one lends its thread count,
     *                  otherwise the host path gets every core
     * @param maxTokens the most tokens one step routes to one expert (the transformer's step size)
     */
    static HostExperts open(ExpertResidency residency, FileExpertSource source, Backend device, int maxTokens,
                            double modeledLinkBytesPerSecond) {
        int threads = device instanceof CpuBackend ? device.threads() : Runtime.getRuntime().availableProcessors();
        CpuBackend host = new CpuBackend(threads);
        try {
            return new HostExperts(residency, source, host, maxTokens, modeledLinkBytesPerSecond);
        } catch (RuntimeException | Error e) {
            host.close();
            throw e;
        }
    }

    int maxTokens() {
        return maxTokens;
    }

    HybridCostModel costs() {
        return costs;
    }

    /**
     * Whether the layer now computing computes {@code expert}, routed {@code tokens} tokens, here:
     * never when it is resident or coming; else as the cost model says, and the residency counts
     * the choice. Call it, in routing order, instead of asking ahead; ask ahead when it says no.
     */
    boolean computesOnHost(int layer, int expert, int tokens) {
        if (residency.isResidentOrComing(layer, expert)) {
            return false;
        }
        long bytes = expertBytes[layer];
        boolean onHost = costs.computeOnHost(tokens, bytes, residency.copiesAhead() * bytes,
                residency.stats().linkBytesPerSecond());
        if (onHost) {
            residency.computedOnHost(layer);
        } else {
            residency.copyChosen(layer);
        }
        return onHost;
    }

    /**
     * expertOut[i] = FFN_expert(h[rows[i]]) for i < n: the FFN of {@code layer}'s {@code expert}
     * for its tokens ({@link ExpertFfn}, with the layer's expert biases where it has them), from
     * host memory, into the device's {@code expertOut} rows 0..n-1 (for the caller's scatter-add);
     * each input row times {@code inputWeights[i]} first where they are given (Llama 4). Times
     * itself for the cost model.
     */
    void compute(int layer, int expert, ExpertBiases biases, FloatMatrix h, int[] rows, float[] inputWeights, int n,
                 FloatMatrix expertOut) {
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            h.readRow(rows[i], row);
            if (inputWeights != null) {
                for (int j = 0; j < row.length; j++) {
                    row[j] *= inputWeights[i];
                }
            }
            in.writeRow(i, row);
        }
        ffn(layer, expert, biases, n);
        for (int i = 0; i < n; i++) {
            out.readRow(i, row);
            expertOut.writeRow(i, row);
        }
        costs.hostTimed(n, expertBytes[layer], System.nanoTime() - start);
    }

    /** out = the expert's FFN of in, the first n rows. */
    private void ffn(int layer, int expert, ExpertBiases biases, int n) {
        Weight[] w = weights[layer];
        ExpertFfn.run(host, gatePart < 0 ? null : w[gatePart], w[upPart], w[downPart], expert, biases, expert, in, gate,
                up, out, n, null);
    }

    /**
     * Expert bytes the host computes per second for one token: layer 0's expert 0 for one token,
     * run again and again for {@link #SEED_BUDGET_NANOS} (at least {@link #SEED_MIN_RUNS} times),
     * the fastest run counting. A small expert is run often enough that its code is compiled by
     * the end, a large one streams long enough in each run that it is compiled within the first; a
     * seed left too low by cold code would keep the host from being chosen, and so from timing
     * itself. The host path's own timings take over from there.
     */
    private double measureHostRate() {
        long best = Long.MAX_VALUE;
        long deadline = System.nanoTime() + SEED_BUDGET_NANOS;
        for (int run = 0; run < SEED_MIN_RUNS || System.nanoTime() - deadline < 0; run++) {
            long start = System.nanoTime();
            ffn(0, 0, null, 1);
            best = Math.min(best, System.nanoTime() - start);
        }
        return expertBytes[0] * 1e9 / Math.max(1, best);
    }

    @Override
    public void close() {
        host.close();
    }
}
