package dev.switchyard.engine.forward;

import dev.switchyard.kernels.Weight;

/**
 * One delta-net block's tensors (Qwen3.5, Qwen3-Next; see {@link dev.switchyard.engine.model.DeltaNet}):
 * the projection to queries, keys and values ({@code attn_qkv}), to the output gate
 * ({@code attn_gate}), to each value head's beta and alpha logits (two matrices, or, in Qwen3-Next,
 * one whose rows hold each key head's group of betas and then its alphas: {@code betaAlpha}, the
 * other two null), the convolution's kernel tap-major as
 * {@link dev.switchyard.kernels.Backend#shortConv} takes it, each value head's decay bias and rate,
 * the gated norm's weight (a head wide) and the projection back ({@code ssm_out}).
 */
record DeltaNetWeights(Weight qkv, Weight gate, Weight beta, Weight alpha, Weight betaAlpha, float[] taps, int length,
                       float[] dtBias, float[] decay, float[] norm, Weight output) {
}
