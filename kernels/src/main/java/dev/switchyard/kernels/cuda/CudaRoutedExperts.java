package dev.switchyard.kernels.cuda;

import dev.switchyard.kernels.ExpertFfnForm;
import dev.switchyard.kernels.TopKRouting;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * One MoE layer's routed experts on the device for a step of a few tokens, with no host round trip,
 * so that a decode step can be queued (and later captured as one CUDA graph) without the host seeing
 * the routing. T tokens, top-k of E experts, model dimension D, expert FFN width F:
 * <pre>
 *   moe_route    router logits (T, E) -> k experts and weights (T, k) by the     moe_route.cu
 *                model's {@link TopKRouting}
 *   moe_plan     -> the chosen experts in ascending order, each with its tokens   moe_experts.cu
 *   moe_gate_up  h (T, D) -> act (T k, F) = silu(gate_e h_t) * (up_e h_t), by expert
 *                (gpt-oss: biases added, then the clamped SwiGLU; Llama 4: both projections
 *                times the routing weight, which then weighs nothing more; Nemotron-H: no gate,
 *                act = max(up_e h_t, 0)^2)
 *   moe_down     act -> y (T k, D) = down_e act (+ the expert's down bias), by (token, slot)
 *   moe_combine  x[t] += w y, the token's experts in ascending index (the host path's order)
 * </pre>
 * An expert's rows are read once per 8 of its tokens, with 16-byte loads where the format and the
 * addresses allow ({@link CudaKernels#wide}). The scratch buffers grow to the largest step seen and
 * stay, so a warm step allocates nothing and queues the same five launches. The stacked biases of
 * an {@link ExpertFfnForm} go to the device once ({@link DeviceConstants#fixedVector}).
 * Not thread-safe, as the backend that owns it.
 */
final class CudaRoutedExperts {

    private final CudaContext ctx;
    private final CudaKernels kernels;
    private final DeviceConstants constants;
    private final Scratch probabilities = new Scratch();
    /** The chosen experts of each slot's last call: slot s at s x assignmentCapacity ints. */
    private long chosen;
    private int slotCapacity;
    private int assignmentCapacity;
    private int[] assignmentsIn = new int[0];
    private final Scratch topKWeights = new Scratch();
    private final Scratch plan = new Scratch();
    private final Scratch act = new Scratch();
    private final Scratch out = new Scratch();

    CudaRoutedExperts(CudaContext ctx, CudaKernels kernels, DeviceConstants constants) {
        this.ctx = ctx;
        this.kernels = kernels;
        this.constants = constants;
    }

    /** The checks beyond {@code OpChecks.routedExperts} that the kernels' limits add. */
    static void checkLimits(CudaWeight gate, CudaWeight up, TopKRouting routing, int tokens) {
        int k = routing.k();
        if (gate != null && gate.type() != up.type()) {
            throw new IllegalArgumentException("routed experts read gate and up in one pass, so they share a type; got "
                    + gate + " and " + up);
        }
        if (up.count() > CudaKernels.MOE_MAX_EXPERTS || k > CudaKernels.MOE_MAX_K) {
            throw new IllegalArgumentException("routed experts on CUDA take up to " + CudaKernels.MOE_MAX_EXPERTS
                    + " experts and top-" + CudaKernels.MOE_MAX_K + ", got top-" + k + " of " + up.count());
        }
        if (routing.groupCount() > CudaKernels.MOE_MAX_GROUPS) {
            throw new IllegalArgumentException("routing on CUDA takes up to " + CudaKernels.MOE_MAX_GROUPS
                    + " expert groups, got " + routing.groupCount());
        }
        long slots = Math.min(up.count(), (long) tokens * k);
        if (tokens > CudaKernels.MAX_GRID_Y || slots * tileCount(tokens) > CudaKernels.MAX_GRID_Y) {
            throw new IllegalArgumentException("a step of " + tokens + " tokens is too large for routed experts on CUDA");
        }
    }

    /** Blocks per expert along the second grid dimension: one per 8 of the step's tokens at most. */
    private static int tileCount(int tokens) {
        return (tokens + CudaKernels.MATMUL_TOKEN_TILE - 1) / CudaKernels.MATMUL_TOKEN_TILE;
    }

    /** Queues the layer; the arguments are checked by the backend (OpChecks and {@link #checkLimits}). */
    void run(CudaMatrix logits, CudaMatrix h, CudaWeight gate, CudaWeight up, CudaWeight down, ExpertFfnForm form,
             TopKRouting routing, CudaMatrix x, int tokens, int slot) {
        if (tokens == 0) {
            return;
        }
        int k = routing.k();
        int experts = up.count();
        int dim = up.cols();
        int ffn = up.rows();
        int assignments = tokens * k;
        int slots = Math.min(experts, assignments);
        long probs = probabilities.ensure(ctx, 4L * tokens * experts);
        long ids = chosenFor(slot, assignments);
        long weights = topKWeights.ensure(ctx, 4L * assignments);
        long steps = plan.ensure(ctx, 4 * CudaKernels.moePlanInts(slots, assignments));
        long hidden = act.ensure(ctx, 4L * assignments * ffn);
        long y = out.ensure(ctx, 4L * assignments * dim);
        boolean biased = form.biased();
        long gateBias = biased ? constants.fixedVector(form.gateBias()) : 0;
        long upBias = biased ? constants.fixedVector(form.upBias()) : 0;
        long downBias = biased ? constants.fixedVector(form.downBias()) : 0;
        // route: scores, the chosen experts, their weights (the selection bias compared with the layer's array)
        long bias = routing.selectionBias() != null ? constants.vector(routing.selectionBias()) : 0;
        kernels.moeRoute(logits.pointer(), bias, tokens, experts, routing, probs, ids, weights);
        // plan: the chosen experts, each with its tokens
        kernels.moePlan(ids, assignments, experts, slots, steps);
        // gate and up in one pass, biases, SiLU-mul or the clamped SwiGLU
        // (an ungated expert reads its up row alone: the gate pointer goes as 0)
        long gateRows = gate != null ? gate.matrix(0) : 0;
        boolean wideGateUp = CudaKernels.wide(up.type(), up.rowBytes(), up.matrix(0), h.pointer())
                && gateRows % 16 == 0;
        kernels.moeGateUp(up.type(), wideGateUp, h.pointer(), dim, steps, slots, k, tokens, gateRows, up.matrix(0),
                up.matrixBytes(), up.rowBytes(), ffn, gateBias, upBias, form.clamped(), form.alpha(), form.limit(),
                routing.weighsInputs() ? weights : 0, hidden);
        // down, bias
        boolean wideDown = CudaKernels.wide(down.type(), down.rowBytes(), down.matrix(0), hidden);
        kernels.moeDown(down.type(), wideDown, hidden, ffn, steps, slots, tokens, down.matrix(0), down.matrixBytes(),
                down.rowBytes(), dim, downBias, y);
        // combine into the residual, experts in ascending order (unweighted where the weights weighed the inputs)
        kernels.moeCombine(x.pointer(), dim, ids, routing.weighsInputs() ? 0 : weights, k, experts, y, tokens);
    }

    /**
     * Where slot {@code slot}'s chosen experts go, room made for {@code assignments} of them: the
     * buffer grows keeping every slot's last experts (copied on the stream, after the kernels that
     * wrote them).
     */
    private long chosenFor(int slot, int assignments) {
        if (slot >= slotCapacity || assignments > assignmentCapacity) {
            int slots = Math.max(slotCapacity, slot + 1);
            int perSlot = Math.max(assignmentCapacity, assignments);
            long grown = ctx.allocate(4L * slots * perSlot);
            if (chosen != 0) {
                for (int s = 0; s < slotCapacity; s++) {
                    ctx.copy(chosen + 4L * s * assignmentCapacity, grown + 4L * s * perSlot, 4L * assignmentCapacity);
                }
                ctx.free(chosen);
            }
            chosen = grown;
            slotCapacity = slots;
            if (assignmentsIn.length < slots) {
                assignmentsIn = Arrays.copyOf(assignmentsIn, slots);
            }
            assignmentCapacity = perSlot;
        }
        assignmentsIn[slot] = assignments;
        return chosen + 4L * slot * assignmentCapacity;
    }

    /** Slots {@code 0 .. slots-1}'s last chosen experts, {@code assignments} each, into {@code out}; waits. */
    void read(int slots, int assignments, int[] out) {
        if (slots > slotCapacity) {
            throw new IllegalArgumentException(slots + " routing slots asked for, " + slotCapacity + " were routed");
        }
        for (int s = 0; s < slots; s++) {
            if (assignmentsIn[s] != assignments) {
                throw new IllegalArgumentException("slot " + s + " last routed " + assignmentsIn[s]
                        + " assignments, not " + assignments);
            }
        }
        long bytes = 4L * slots * assignmentCapacity;
        MemorySegment host = ctx.hostBuffer(bytes);
        ctx.download(chosen, host, bytes);
        for (int s = 0; s < slots; s++) {
            MemorySegment.copy(host, ValueLayout.JAVA_INT, 4L * s * assignmentCapacity,
                    out, s * assignments, assignments);
        }
    }
}
