package dev.switchyard.engine.forward;

import dev.switchyard.kernels.Weight;

/**
 * One transformer block's tensors. Optional parts are null when the block has none: wk and wv
 * and, where queries take the low-rank path, wq (latent attention, whose own tensors are in
 * {@code latent}, else null); biases
 * (Qwen2), QK-norm (Qwen3, OLMoE), routed experts and router (MoE blocks), shared expert (Qwen2-MoE,
 * DeepSeek-MoE) and its gate (Qwen2-MoE only), the router's selection bias (DeepSeek-V3), dense FFN (dense models and DeepSeek-MoE's leading
 * blocks); gpt-oss's attention output bias, sinks, router bias and expert biases; AFMoE's attention
 * output gate and the norms of its branches' outputs; a convolution block's own tensors (LFM2) or a
 * delta-net block's (Qwen3.5), then every attention tensor is null, else null.
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
        float[] selectionBias,
        Weight expertGate,
        Weight expertUp,
        Weight expertDown,
        Weight sharedGateInput,
        Weight sharedGate,
        Weight sharedUp,
        Weight sharedDown,
        Weight ffnGate,
        Weight ffnUp,
        Weight ffnDown,
        LatentAttentionWeights latent,
        float[] outputBias,
        float[] sinks,
        float[] routerBias,
        ExpertBiases expertBiases,
        Weight attentionGate,
        float[] attentionPostNorm,
        float[] ffnPostNorm,
        ConvolutionWeights convolution,
        DeltaNetWeights deltaNet,
        Mamba2Weights mamba2,
        Weight latentDown,
        Weight latentUp) {
}
