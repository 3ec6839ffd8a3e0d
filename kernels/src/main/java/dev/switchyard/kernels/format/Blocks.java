package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Byte access and rounding rules shared by the codecs.
 *
 * <p>GGUF is little-endian whatever the host, and tensor data sits at arbitrary byte offsets inside
 * a mapped file, so every access goes through unaligned layouts with an explicit order. The
 * rounding helpers reproduce the C library and ggml functions that ggml's reference quantizers
 * call, so that our quantizers make the same choices as llama.cpp's.
 */
final class Blocks {

    static final ValueLayout.OfShort LE_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt LE_INT =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat LE_FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The largest finite half-precision value. */
    static final float F16_MAX = 65504f;

    private Blocks() {
    }

    static int u8(MemorySegment s, long offset) {
        return Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, offset));
    }

    static int i8(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_BYTE, offset);
    }

    /** A little-endian unsigned 16-bit word. */
    static int u16(MemorySegment s, long offset) {
        return Short.toUnsignedInt(s.get(LE_SHORT, offset));
    }

    static void putShort(MemorySegment s, long offset, int value) {
        s.set(LE_SHORT, offset, (short) value);
    }

    /** A little-endian 32-bit word (Q5_0 and Q5_1 keep their fifth bits in one). */
    static int u32(MemorySegment s, long offset) {
        return s.get(LE_INT, offset);
    }

    static void putU32(MemorySegment s, long offset, int value) {
        s.set(LE_INT, offset, value);
    }

    static void putByte(MemorySegment s, long offset, int value) {
        s.set(ValueLayout.JAVA_BYTE, offset, (byte) value);
    }

    /**
     * Writes a 4-bit field: the low nibble of the byte (its high one cleared), or the high nibble
     * (the low one kept). Fields written low then high fill the byte whatever it held before.
     */
    static void putNibble(MemorySegment s, long offset, boolean high, int value) {
        putByte(s, offset, high ? (u8(s, offset) & 0x0F) | value << 4 : value);
    }

    static float f16(MemorySegment s, long offset) {
        return Float.float16ToFloat(s.get(LE_SHORT, offset));
    }

    /**
     * Stores a block scale as f16 and returns the value a decoder will read back. Scales that
     * overflow half precision saturate instead of becoming infinite, so a block of huge inputs
     * still decodes to finite values; in range this is plain round-to-nearest-even, as ggml's
     * GGML_FP32_TO_FP16.
     */
    static float putScale(MemorySegment s, long offset, float d) {
        float saturated = Float.isNaN(d) ? 0f : Math.max(-F16_MAX, Math.min(F16_MAX, d));
        short h = Float.floatToFloat16(saturated);
        s.set(LE_SHORT, offset, h);
        return Float.float16ToFloat(h);
    }

    /**
     * ggml's nearest_int: round half to even. ggml adds 1.5 * 2^23 and reads the mantissa, which
     * is exact only for |v| below 2^22; {@link Math#rint} agrees there and saturates beyond it.
     */
    static int nearestInt(float v) {
        return (int) Math.rint(v);
    }

    /** C's roundf: halves round away from zero (unlike {@link Math#round}, which rounds up). */
    static int roundHalfAway(float v) {
        float a = Math.abs(v);
        float whole = (float) Math.floor(a);
        if (a - whole >= 0.5f) {
            whole += 1f;
        }
        return (int) Math.copySign(whole, v);
    }

    /** The value of largest magnitude among {@code x[0 .. n)}, the first of equals (ggml's amax scan). */
    static float signedMax(float[] x, int n) {
        float amax = 0f;
        float max = 0f;
        for (int j = 0; j < n; j++) {
            if (amax < Math.abs(x[j])) {
                amax = Math.abs(x[j]);
                max = x[j];
            }
        }
        return max;
    }

    /** The least of {@code x[0 .. n)} by ggml's {@code <} scan (the first of 0.0 and -0.0, unlike Math.min). */
    static float least(float[] x, int n) {
        float min = Float.MAX_VALUE;
        for (int j = 0; j < n; j++) {
            if (x[j] < min) {
                min = x[j];
            }
        }
        return min;
    }

    /** The greatest of {@code x[0 .. n)} by ggml's {@code >} scan. */
    static float greatest(float[] x, int n) {
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < n; j++) {
            if (x[j] > max) {
                max = x[j];
            }
        }
        return max;
    }

    static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    /**
     * Copies one block of input, replacing NaN by 0 and clamping to {@code +-limit}. ggml's
     * quantizers assume finite inputs (a NaN or infinity poisons the whole block's scale); the
     * limit is chosen per format as the largest magnitude its scale can still express, so that
     * everything a block can represent passes through unchanged and the rest saturates.
     */
    static void copyFinite(float[] src, int srcOffset, float[] block, int n, float limit) {
        for (int i = 0; i < n; i++) {
            float v = src[srcOffset + i];
            block[i] = Float.isNaN(v) ? 0f : Math.max(-limit, Math.min(limit, v));
        }
    }

    /**
     * Dequantizes {@code blocks} blocks of 32 values laid out as an f16 scale d then 16 bytes of
     * nibbles (byte j: value j in its low nibble, value j + 16 in its high one), each value
     * {@code d * levels[nibble]}: Q4_0's 18-byte blocks (levels -8..7) and IQ4_NL's (the non-linear
     * grid).
     */
    static void dequantizeNibbleBlocks(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int blocks,
                                       int[] levels) {
        for (int b = 0; b < blocks; b++) {
            long block = srcOffset + (long) b * 18;
            decodeNibbles(src, block + 2, f16(src, block), levels, dst, dstOffset + b * 32);
        }
    }

    /**
     * Decodes one block's 16 bytes of nibbles at {@code qs} (byte j: value j in its low nibble,
     * value j + 16 in its high one) to {@code dst[out .. out + 32)}, each value
     * {@code d * levels[nibble]}: what the 32-value nibble formats (Q4_0, IQ4_NL, MXFP4) share once
     * their scale is read.
     */
    static void decodeNibbles(MemorySegment src, long qs, float d, int[] levels, float[] dst, int out) {
        for (int j = 0; j < 16; j++) {
            int q = u8(src, qs + j);
            dst[out + j] = d * levels[q & 0x0F];
            dst[out + j + 16] = d * levels[q >>> 4];
        }
    }

    static void requireWholeBlocks(GgmlType type, int n) {
        if (n < 0 || n % type.blockSize() != 0) {
            throw new IllegalArgumentException(
                    type + " needs a whole number of " + type.blockSize() + "-value blocks, got " + n);
        }
    }
}
