package dev.switchyard.kernels;

/**
 * Rotary position embedding as a model defines it.
 *
 * @param neox       true: rotate the pairs (i, i + dims/2) of each head (GPT-NeoX, Qwen, OLMoE);
 *                   false: rotate adjacent pairs (2i, 2i + 1) (LLaMA, Mixtral)
 * @param dims       leading dimensions of each head that rotate (the rest pass through)
 * @param base       frequency base theta
 * @param linearScale position divisor of linear scaling (1 = none)
 */
public record RopeSpec(boolean neox, int dims, double base, double linearScale) {

    public RopeSpec {
        if (dims < 0 || dims % 2 != 0) {
            throw new IllegalArgumentException("rope dims must be even and non-negative, got " + dims);
        }
        if (!(base > 0) || !(linearScale > 0)) {
            throw new IllegalArgumentException("rope base and scale must be positive");
        }
    }
}
