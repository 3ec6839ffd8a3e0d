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
 *
 * <p>Kimi-Linear's delta attention keeps its queries', keys', values' and output projections as
 * attention's ({@link LayerWeights#wq} and the others; {@code qkv} and {@code output} null here); its output gate and its
 * decays' inputs each come through a low-rank pair ({@code gateDown} then {@code gate},
 * {@code alphaDown} then {@code alpha}, null in the other families), its decay biases one per key
 * channel, and its three convolutions' kernels joined as one over the queries, keys and values side by side.
 */
record DeltaNetWeights(Weight qkv, Weight gate, Weight gateDown, Weight beta, Weight alpha, Weight alphaDown,
                       Weight betaAlpha, float[] taps, int length, float[] dtBias, float[] decay, float[] norm,
                       Weight output) {
}
