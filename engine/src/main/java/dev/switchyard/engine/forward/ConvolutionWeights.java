package dev.switchyard.engine.forward;

import dev.switchyard.kernels.Weight;

/**
 * One LFM2 convolution block's tensors: its input projection ({@code shortconv.in_proj}, whose
 * output is B, C and x side by side), its kernel tap-major as
 * {@link dev.switchyard.kernels.Backend#shortConv} takes it (tap j's weight of channel c at
 * {@code taps[j * dim + c]}; the file holds each channel's taps in a row), and its output projection.
 */
record ConvolutionWeights(Weight input, float[] taps, int length, Weight output) {

    /** A kernel of {@code length} taps per channel as the file holds it (channel-major) -> tap-major. */
    static float[] tapMajor(float[] byChannel, int length) {
        int channels = byChannel.length / length;
        float[] taps = new float[byChannel.length];
        for (int c = 0; c < channels; c++) {
            for (int j = 0; j < length; j++) {
                taps[j * channels + c] = byChannel[c * length + j];
            }
        }
        return taps;
    }
}
