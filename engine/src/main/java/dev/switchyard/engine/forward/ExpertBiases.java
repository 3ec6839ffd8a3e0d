package dev.switchyard.engine.forward;

import java.util.Arrays;

/**
 * The biases of one layer's routed experts (gpt-oss), one row per expert: {@code gate[e]} and
 * {@code up[e]} as wide as an expert, {@code down[e]} as wide as the model. Each row is its own
 * array, so a backend that keeps vectors by identity keeps one per expert.
 */
record ExpertBiases(float[][] gate, float[][] up, float[][] down) {

    /** Splits a stacked bias tensor (ggml [width, experts], expert-major) into one row per expert. */
    static float[][] rows(float[] stacked, int experts) {
        int width = stacked.length / experts;
        float[][] rows = new float[experts][];
        for (int e = 0; e < experts; e++) {
            rows[e] = Arrays.copyOfRange(stacked, e * width, (e + 1) * width);
        }
        return rows;
    }
}
