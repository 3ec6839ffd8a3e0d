package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * MXFP4 (OCP microscaling FP4), in which gpt-oss ships its routed experts: blocks of 32 FP4 E2M1
 * values sharing one power-of-two scale, 17 bytes (4.25 bits per value).
 *
 * <pre>
 * offset  size  field
 *      0     1  e       E8M0 exponent: the block's scale is 2^(e - 127)
 *      1    16  qs[16]  value j (0..15) in the low nibble of qs[j], value j+16 in its high nibble
 *                       (as Q4_0's); a nibble is bit 3 the sign, bits 0..2 the E2M1 magnitude
 *                       0, 0.5, 1, 1.5, 2, 3, 4, 6; x = scale * value
 * </pre>
 *
 * <p>Decoding is dequantize_row_mxfp4's: {@code 2^(e - 128) * LEVELS[nibble]}, half the scale times
 * twice the value, so that the levels are whole numbers (a byte table, as IQ4_NL's). The products
 * are the floats of scale times value, exact (a power of two times an integer up to 12), with two
 * edges of the format: the negative zero (nibble 8) decodes to +0, and at e &gt;= 253 the largest
 * magnitudes pass Float.MAX_VALUE and decode to infinity. Half scales down to 2^-128 (e = 0) are
 * float subnormals, still exact. e = 255, NaN in the OCP spec and never written by a quantizer,
 * decodes as ggml decodes it, a half scale of 2^127.
 *
 * <p>The quantizer is ours, from the MX recipe (the same scale choice as ggml's
 * quantize_row_mxfp4_ref): e = floor(log2(amax)) - 2 + 127, clamped to 0..254, 0 for a block of
 * zeros, which puts the largest magnitude's leading bit on 4, the largest power of two of E2M1.
 * amax / scale is then in [4, 8), so a block's largest values above 6 * scale saturate to 6. The
 * floor is read exactly from the float's exponent (log2f, as ggml computes it, rounds up to the
 * next integer just below a power of two). Each value then takes the nearest of the sixteen, ties
 * to the even code (the E2M1 value whose mantissa bit is 0, as IEEE round-to-nearest-even would
 * round to E2M1), and a value that rounds to zero takes nibble 0 (+0) whatever its sign. Inputs are
 * first made finite (see {@link Blocks#copyFinite}): the scale's 8-bit exponent covers every float,
 * so only the infinities saturate, to +-Float.MAX_VALUE.
 */
public final class MXFP4Codec implements TensorCodec {

    private static final int QK = 32;
    private static final int BLOCK_BYTES = 17;
    /** ggml's kvalues_mxfp4: twice the E2M1 value of each nibble (+0 for nibble 8). */
    private static final int[] LEVELS = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

    @Override
    public GgmlType type() {
        return GgmlType.MXFP4;
    }

    /** Half the scale of exponent e (0..255): 2^(e - 128), exactly (a subnormal for e &lt; 2). */
    static float halfScale(int e) {
        return Math.scalb(1f, e - 128);
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.MXFP4, n);
        for (int b = 0; b < n / QK; b++) {
            long block = srcOffset + (long) b * BLOCK_BYTES;
            float d = halfScale(Blocks.u8(src, block));
            Blocks.decodeNibbles(src, block + 1, d, LEVELS, dst, dstOffset + b * QK);
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.MXFP4, n);
        float[] x = new float[QK];
        for (int b = 0; b < n / QK; b++) {
            Blocks.copyFinite(src, srcOffset + b * QK, x, QK, Float.MAX_VALUE);
            long block = dstOffset + (long) b * BLOCK_BYTES;
            int e = exponent(x);
            Blocks.putByte(dst, block, e);
            for (int j = 0; j < QK / 2; j++) {
                Blocks.putByte(dst, block + 1 + j, nibble(x[j], e) | (nibble(x[j + QK / 2], e) << 4));
            }
        }
    }

    /** The block's E8M0 exponent: floor(log2(amax)) - 2 + 127 in 0..254, 0 for a block of zeros. */
    private static int exponent(float[] x) {
        float amax = 0f;
        for (float v : x) {
            amax = Math.max(amax, Math.abs(v));
        }
        // getExponent is floor(log2) for normal floats; it says -127 for subnormals, whose floor is
        // -127 or less: either way e clamps to 0
        return amax == 0f ? 0 : Blocks.clamp(Math.getExponent(amax) - 2 + 127, 0, 254);
    }

    /** The nibble of value v in a block of exponent e: the nearest level, ties to the even code. */
    private static int nibble(float v, int e) {
        // |v| in half scales, exact: a power-of-two scaling that stays below 16 (amax < 2^(e - 124))
        int m = magnitude(Math.scalb(Math.abs(v), 128 - e));
        return m == 0 || v > 0f ? m : 8 | m;
    }

    /**
     * The E2M1 magnitude code (0..7) nearest {@code y}, a magnitude in half scales, so against the
     * levels 0, 1, 2, 3, 4, 6, 8, 12: the midpoints between them go to the even code, and
     * everything past 10 saturates to 12.
     */
    private static int magnitude(float y) {
        if (y <= 0.5f) {
            return 0;
        }
        if (y < 1.5f) {
            return 1;
        }
        if (y <= 2.5f) {
            return 2;
        }
        if (y < 3.5f) {
            return 3;
        }
        if (y <= 5f) {
            return 4;
        }
        if (y < 7f) {
            return 5;
        }
        if (y <= 10f) {
            return 6;
        }
        return 7;
    }
}
