package dev.switchyard.kernels;

/**
 * A row-major float matrix owned by a {@link Backend}: activations, one row per token of a step.
 * Where its storage lives (heap, device) is the backend's business; the engine moves rows to and
 * from the host only through {@link #readRow} and {@link #writeRow} (logits, embeddings of tests).
 */
public interface FloatMatrix {

    int rows();

    int cols();

    /** Copies row {@code r} into {@code dst[0 .. cols)}. */
    void readRow(int r, float[] dst);

    /** Copies {@code src[0 .. cols)} into row {@code r}. */
    void writeRow(int r, float[] src);
}
