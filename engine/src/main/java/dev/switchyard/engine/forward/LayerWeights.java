package dev.switchyard.engine.forward;

import dev.switchyard.kernels.Weight;

/**
 * One transformer block's tensors. Optional parts are null when the family has none: biases
 * (Qwen2), QK-norm (Qwen3, OLMoE), routed experts and router (MoE), shared expert (Qwen2-MoE), dense
 * FFN (dense models).
 */
record LayerWeights(
        float[] attnNorm,
        Weight wq,
        Weight wk,
        Weight wv,
        Weight wo,
        float[] qBias,
        float[] kBias,
        float[] vBias,
        float[] qNorm,
        float[] kNorm,
        float[] ffnNorm,
        Weight router,
        Weight expertGate,
        Weight expertUp,
        Weight expertDown,
        Weight sharedGateInput,
        Weight sharedGate,
        Weight sharedUp,
        Weight sharedDown,
        Weight ffnGate,
        Weight ffnUp,
        Weight ffnDown) {
}
