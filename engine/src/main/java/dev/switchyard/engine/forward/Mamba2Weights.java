package dev.switchyard.engine.forward;

import dev.switchyard.kernels.Weight;

/**
 * One Mamba2 block's tensors (Granite 4.0-H; see {@link dev.switchyard.engine.model.Mamba2}): the
 * input projection's three row ranges, each a view on the same bytes (the gate z, the channels
 * and the groups' inputs and outputs that the convolution mixes, and each head's step), the
 * convolution's kernel tap-major as {@link dev.switchyard.kernels.Backend#shortConv} takes it and
 * its bias, each head's step bias, decay rate and skip, the gated norm's weight (a row per group,
 * as wide as the gate together) and the projection back ({@code ssm_out}).
 */
record Mamba2Weights(Weight gate, Weight convolved, Weight step, float[] taps, int length, float[] convBias,
                     float[] dtBias, float[] decay, float[] skip, float[] norm, Weight output) {
}
