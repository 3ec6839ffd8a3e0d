package dev.switchyard.server.serving;

/**
 * How an embedding is scaled before it is returned, numbered as llama.cpp's {@code embd_normalize}
 * numbers them: {@link #AS_POOLED}, {@link #INT16_RANGE}, or the p of the p-norm it is divided by
 * (1, {@link #EUCLIDEAN}, ...). A zero vector stays zero.
 */
public final class EmbeddingNorm {

    public static final int AS_POOLED = -1;
    /** Scaled so that its largest magnitude is 32760, int16's range. */
    public static final int INT16_RANGE = 0;
    /** Unit length: OpenAI's and vLLM's default. */
    public static final int EUCLIDEAN = 2;

    private EmbeddingNorm() {
    }

    /** {@code v} scaled as {@code norm} says (a new array, or {@code v} itself where nothing changes). */
    public static float[] scaled(float[] v, int norm) {
        if (norm < AS_POOLED) {
            throw new IllegalArgumentException("a norm is -1, 0 or a p of 1 or more, got " + norm);
        }
        if (norm == AS_POOLED) {
            return v;
        }
        double size = 0;
        if (norm == INT16_RANGE) {
            for (float x : v) {
                size = Math.max(size, Math.abs(x));
            }
            size /= 32760;
        } else {
            for (float x : v) {
                size += norm == EUCLIDEAN ? (double) x * x : Math.pow(Math.abs(x), norm);
            }
            size = norm == EUCLIDEAN ? Math.sqrt(size) : Math.pow(size, 1.0 / norm);
        }
        if (size == 0) {
            return v;
        }
        double inverse = 1 / size;
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) (v[i] * inverse);
        }
        return out;
    }
}
