package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * BF16: the upper 16 bits of an IEEE float, little-endian (2 bytes per element).
 *
 * <p>Decoding is exact (shift back into place). Encoding copies ggml's GGML_FP32_TO_BF16 rather
 * than truncating: round to nearest even on the dropped 16 bits, and NaN keeps its upper bits
 * with the quiet bit forced, since a signalling NaN whose payload lives only in the low bits
 * would otherwise truncate to infinity. Finite values that round past the largest bf16 become
 * infinite, as in ggml.
 */
public final class BF16Codec implements TensorCodec {

    @Override
    public GgmlType type() {
        return GgmlType.BF16;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        for (int i = 0; i < n; i++) {
            int bits = Short.toUnsignedInt(src.get(Blocks.LE_SHORT, srcOffset + 2L * i));
            dst[dstOffset + i] = Float.intBitsToFloat(bits << 16);
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        for (int i = 0; i < n; i++) {
            dst.set(Blocks.LE_SHORT, dstOffset + 2L * i, toBf16(src[srcOffset + i]));
        }
    }

    static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }
}
