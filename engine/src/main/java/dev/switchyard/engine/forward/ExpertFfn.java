package dev.switchyard.engine.forward;

import dev.switchyard.engine.lora.LoraTarget;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.ExpertFfnForm;
import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.Weight;

/**
 * One routed expert's FFN over its gathered tokens, as the model's family computes it: SwiGLU,
 * {@code down(silu(gate in) * up in)}; where the layer has expert biases (gpt-oss), each
 * projection biased and the clamped SwiGLU between them; where the experts have no gate
 * (Nemotron-H), {@code down(relu(up in)^2)}. The in-place, device-slot and host paths
 * all run it, so they compute the same thing in the same order.
 */
final class ExpertFfn {

    /** gpt-oss's activation: the sigmoid's slope and the clamp on both inputs. */
    static final float GPT_OSS_ALPHA = 1.702f;
    static final float GPT_OSS_LIMIT = 7f;

    private ExpertFfn() {
    }

    /**
     * The same FFN as {@link #run} computes, for a backend's fused routed experts: plain SwiGLU, or
     * the biases and the clamped SwiGLU where the layer has expert biases. Built once per layer.
     */
    static ExpertFfnForm form(ExpertBiases biases) {
        return biases == null ? ExpertFfnForm.SWIGLU
                : ExpertFfnForm.clampedSwiglu(biases.gate(), biases.up(), biases.down(), GPT_OSS_ALPHA, GPT_OSS_LIMIT);
    }

    /**
     * out = FFN(in) over the first {@code n} rows, with matrix {@code matrix} of each stacked weight
     * (expert {@code expert}'s biases, where {@code biases} is not null); {@code gate} and
     * {@code up} are scratch as wide as the expert. With {@code lora} (null: none), each product
     * gains the share of the LoRA adapters the rows apply ({@link LoraStep#expert} says whose rows).
     * A null {@code gateWeight} is an expert without a gate: squared ReLU of its up projection.
     */
    static void run(Backend backend, Weight gateWeight, Weight upWeight, Weight downWeight, int matrix,
                    ExpertBiases biases, int expert, FloatMatrix in, FloatMatrix gate, FloatMatrix up, FloatMatrix out,
                    int n, LoraStep lora) {
        if (gateWeight == null) {
            backend.matmul(upWeight, matrix, in, up, n);
            if (lora != null) {
                lora.applyExpert(LoraTarget.EXPERT_UP, in, up, n);
            }
            backend.reluSquared(up, n);
            backend.matmul(downWeight, matrix, up, out, n);
            if (lora != null) {
                lora.applyExpert(LoraTarget.EXPERT_DOWN, up, out, n);
            }
            return;
        }
        backend.matmul(gateWeight, matrix, in, gate, n);
        backend.matmul(upWeight, matrix, in, up, n);
        if (lora != null) {
            lora.applyExpert(LoraTarget.EXPERT_GATE, in, gate, n);
            lora.applyExpert(LoraTarget.EXPERT_UP, in, up, n);
        }
        if (biases == null) {
            backend.siluMul(gate, up, n);
            backend.matmul(downWeight, matrix, gate, out, n);
            if (lora != null) {
                lora.applyExpert(LoraTarget.EXPERT_DOWN, gate, out, n);
            }
            return;
        }
        backend.addBias(gate, biases.gate(), biases.widthOffset(expert), n);
        backend.addBias(up, biases.up(), biases.widthOffset(expert), n);
        backend.swigluClamped(gate, up, GPT_OSS_ALPHA, GPT_OSS_LIMIT, n);
        backend.matmul(downWeight, matrix, gate, out, n);
        if (lora != null) {
            lora.applyExpert(LoraTarget.EXPERT_DOWN, gate, out, n);
        }
        backend.addBias(out, biases.down(), biases.dimOffset(expert), n);
    }
}
