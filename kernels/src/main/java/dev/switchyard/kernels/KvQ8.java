package dev.switchyard.kernels;

/**
 * The arithmetic of a {@link KvCacheType#Q8_0} KV cache, shared by the backends and their tests: a
 * KV head's part of a position's keys (or values) is cut into groups of {@link #GROUP} consecutive
 * elements (the last one shorter where the head's width is not a multiple of 32), and each group is
 * stored as ggml's Q8_0 blocks are: scale d = max |x| / 127 as a half, quants q = round(x / d) in
 * [-127, 127] (half away from zero, the reciprocal taken from the unrounded d), read back as q x d.
 * The CUDA kernel store_kv_q8 does the same operations, so both backends hold the same bytes.
 */
public final class KvQ8 {

    /** Elements sharing one scale. */
    public static final int GROUP = 32;

    /** The largest magnitude whose scale a half still holds; larger ones are clamped to it. */
    private static final float LIMIT = 65504f * 127f;

    private KvQ8() {
    }

    /** Groups of a head {@code width} elements wide. */
    public static int groups(int width) {
        return (width + GROUP - 1) / GROUP;
    }

    /**
     * Quantizes the {@code n} (at most 32) floats at {@code src[so ..]} into
     * {@code dst[d + i * stride]}; returns the group's scale as half bits.
     */
    public static short quantize(float[] src, int so, int n, byte[] dst, int d, int stride) {
        float amax = 0f;
        for (int i = 0; i < n; i++) {
            amax = Math.max(amax, Math.abs(src[so + i]));
        }
        float scale = Math.min(amax, LIMIT) / 127f;
        float inverse = scale != 0f ? 1f / scale : 0f;
        for (int i = 0; i < n; i++) {
            dst[d + i * stride] = (byte) Math.clamp(roundHalfAway(src[so + i] * inverse), -127, 127);
        }
        return Float.floatToFloat16(scale);
    }

    /** C's roundf: to the nearest integer, halves away from zero (NaN to 0). */
    static int roundHalfAway(float v) {
        return v < 0 ? -Math.round(-v) : Math.round(v);
    }

    /**
     * What a Q8_0 cache reads back for a position's row of {@code heads} heads: each head's groups
     * quantized and widened again.
     */
    public static float[] roundTrip(float[] row, int heads) {
        if (heads <= 0 || row.length % heads != 0) {
            throw new IllegalArgumentException(row.length + " elements in " + heads + " heads");
        }
        int width = row.length / heads;
        float[] out = new float[row.length];
        byte[] q = new byte[GROUP];
        for (int h = 0; h < heads; h++) {
            for (int g = 0; g < width; g += GROUP) {
                int n = Math.min(GROUP, width - g);
                int at = h * width + g;
                float scale = Float.float16ToFloat(quantize(row, at, n, q, 0, 1));
                for (int i = 0; i < n; i++) {
                    out[at + i] = q[i] * scale;
                }
            }
        }
        return out;
    }
}
