package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * Q4_0: blocks of 32 values sharing one scale, 18 bytes (4.5 bits per value).
 *
 * <pre>
 * offset  size  field
 *      0     2  d       f16 scale
 *      2    16  qs[16]  value j (0..15) in the low nibble of qs[j], value j+16 in its high nibble;
 *                       x = d * (q - 8)
 * </pre>
 *
 * <p>Pairing j with j+16 (not 2j with 2j+1) lets SIMD decoders split a 16-byte load into the two
 * halves of the block with one mask and one shift. The quantizer is ggml's quantize_row_q4_0_ref:
 * d = max / -8 where max is the signed value of largest magnitude, so that value lands exactly on
 * level 0 (q - 8 = -8, the end of the range with the extra level) whatever its sign; q = min(15,
 * (int) (x / d + 8.5)). Inputs are first made finite (see {@link Blocks#copyFinite}).
 */
public final class Q4_0Codec implements TensorCodec {

    private static final int QK = 32;
    private static final int BLOCK_BYTES = 18;
    private static final float LIMIT = Blocks.F16_MAX * 8f;
    /** q - 8 for each nibble q. */
    private static final int[] LEVELS = {-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7};

    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.Q4_0, n);
        Blocks.dequantizeNibbleBlocks(src, srcOffset, dst, dstOffset, n / QK, LEVELS);
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.Q4_0, n);
        float[] x = new float[QK];
        for (int b = 0; b < n / QK; b++) {
            Blocks.copyFinite(src, srcOffset + b * QK, x, QK, LIMIT);
            long block = dstOffset + (long) b * BLOCK_BYTES;

            float max = Blocks.signedMax(x, QK);
            float d = max / -8f;
            float id = d != 0f ? 1f / d : 0f;
            Blocks.putScale(dst, block, d);
            for (int j = 0; j < QK / 2; j++) {
                int lo = level(x[j] * id);
                int hi = level(x[j + QK / 2] * id);
                Blocks.putByte(dst, block + 2 + j, lo | (hi << 4));
            }
        }
    }

    private static int level(float scaled) {
        return Blocks.clamp((int) (scaled + 8.5f), 0, 15);
    }
}
