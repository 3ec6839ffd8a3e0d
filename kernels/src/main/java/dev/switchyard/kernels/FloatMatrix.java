package dev.switchyard.kernels;

import java.util.Objects;

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

    /**
     * Copies rows {@code first .. first+count-1}, row r into {@code dst[r][0 .. cols)}: on a device,
     * one copy and one wait for all of them.
     */
    default void readRows(int first, int count, float[][] dst) {
        Objects.checkFromIndexSize(first, count, rows());
        for (int i = 0; i < count; i++) {
            readRow(first + i, dst[first + i]);
        }
    }

    /** Copies {@code src[0 .. cols)} into row {@code r}. */
    void writeRow(int r, float[] src);
}
