package dev.switchyard.kernels;

import java.util.Objects;

/** Argument checks every backend makes the same way, so that bad shapes fail alike on each. */
public final class OpChecks {

    private OpChecks() {
    }

    /** {@code tokens} rows fit both matrices. */
    public static void tokens(int tokens, FloatMatrix a, FloatMatrix b) {
        if (tokens < 0 || tokens > a.rows() || tokens > b.rows()) {
            throw new IllegalArgumentException(tokens + " tokens for " + a + " and " + b);
        }
    }

    /** {@code out = W[matrix] x} is well formed: the matrix exists, the shapes agree, out is not x. */
    public static void matmul(Weight w, int matrix, FloatMatrix x, FloatMatrix out, int tokens) {
        Objects.checkIndex(matrix, w.count());
        if (x.cols() != w.cols() || out.cols() != w.rows()) {
            throw new IllegalArgumentException("matmul of " + w + " needs x with " + w.cols()
                    + " columns and out with " + w.rows() + ", got " + x + " and " + out);
        }
        if (x == out) {
            throw new IllegalArgumentException("matmul cannot write into its input");
        }
        tokens(tokens, x, out);
    }
}
