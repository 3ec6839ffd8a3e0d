package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * Q5_1: blocks of 32 values with a scale and a minimum, 24 bytes (6 bits per value).
 *
 * <pre>
 * offset  size  field
 *      0     2  d       f16 scale
 *      2     2  m       f16 minimum
 *      4     4  qh      32 fifth bits, little-endian: bit j belongs to value j
 *      8    16  qs[16]  value j (0..15) in the low nibble of qs[j], value j+16 in its high nibble;
 *                       q = nibble + 16 * bit, x = q * d + m
 * </pre>
 *
 * <p>llama.cpp writes it where a Q5_K_M file's tensor has rows that are not whole 256-value
 * super-blocks. The quantizer is quantize_row_q5_1_ref: d = (max - min) / 31, m = min, q = (int)
 * ((x - min) / d + 0.5); decoding is dequantize_row_q5_1's {@code q * d + m} (the product exact: 5
 * bits times an f16). Inputs are first made finite and within what an f16 minimum can hold (see
 * {@link Blocks#copyFinite}).
 */
public final class Q5_1Codec implements TensorCodec {

    private static final int QK = 32;
    private static final int BLOCK_BYTES = 24;
    private static final int QH = 4;
    private static final int QS = 8;

    @Override
    public GgmlType type() {
        return GgmlType.Q5_1;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.Q5_1, n);
        for (int b = 0; b < n / QK; b++) {
            long block = srcOffset + (long) b * BLOCK_BYTES;
            float d = Blocks.f16(src, block);
            float m = Blocks.f16(src, block + 2);
            int qh = Blocks.u32(src, block + QH);
            int out = dstOffset + b * QK;
            for (int j = 0; j < QK / 2; j++) {
                int q = Blocks.u8(src, block + QS + j);
                dst[out + j] = ((q & 0x0F) | ((qh >>> j) & 1) << 4) * d + m;
                dst[out + j + QK / 2] = ((q >>> 4) | ((qh >>> (j + 16)) & 1) << 4) * d + m;
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.Q5_1, n);
        float[] x = new float[QK];
        for (int b = 0; b < n / QK; b++) {
            Blocks.copyFinite(src, srcOffset + b * QK, x, QK, Blocks.F16_MAX);
            long block = dstOffset + (long) b * BLOCK_BYTES;
            float min = Blocks.least(x, QK);
            float max = Blocks.greatest(x, QK);
            float d = (max - min) / 31f;
            float id = d != 0f ? 1f / d : 0f;
            Blocks.putScale(dst, block, d);
            Blocks.putScale(dst, block + 2, min);
            int qh = 0;
            for (int j = 0; j < QK / 2; j++) {
                int lo = Blocks.clamp((int) ((x[j] - min) * id + 0.5f), 0, 31);
                int hi = Blocks.clamp((int) ((x[j + QK / 2] - min) * id + 0.5f), 0, 31);
                Blocks.putByte(dst, block + QS + j, (lo & 0x0F) | ((hi & 0x0F) << 4));
                qh |= (lo >>> 4) << j | (hi >>> 4) << (j + 16);
            }
            Blocks.putU32(dst, block + QH, qh);
        }
    }
}
