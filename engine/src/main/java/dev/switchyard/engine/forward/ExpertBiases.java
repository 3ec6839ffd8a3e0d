package dev.switchyard.engine.forward;

/**
 * The biases of one layer's routed experts (gpt-oss), stacked as the file holds them (ggml
 * [width, experts], a row per expert): {@code gate} and {@code up} rows as wide as an expert,
 * {@code down} rows as wide as the model. Kept stacked, so a device holds one copy per tensor and
 * a fused kernel can index them by expert.
 */
record ExpertBiases(float[] gate, float[] up, float[] down, int width, int dim) {

    ExpertBiases {
        if (gate.length % width != 0 || up.length != gate.length || down.length / dim != gate.length / width) {
            throw new IllegalArgumentException("expert biases of " + gate.length + ", " + up.length + " and "
                    + down.length + " values do not stack rows of " + width + " and " + dim);
        }
    }

    /** Where expert {@code e}'s gate and up bias rows start. */
    int widthOffset(int expert) {
        return expert * width;
    }

    /** Where expert {@code e}'s down bias row starts. */
    int dimOffset(int expert) {
        return expert * dim;
    }
}
