package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * Q5_0: blocks of 32 values sharing one scale, 22 bytes (5.5 bits per value).
 *
 * <pre>
 * offset  size  field
 *      0     2  d       f16 scale
 *      2     4  qh      32 fifth bits, little-endian: bit j belongs to value j
 *      6    16  qs[16]  value j (0..15) in the low nibble of qs[j], value j+16 in its high nibble;
 *                       q = nibble + 16 * bit, x = d * (q - 16)
 * </pre>
 *
 * <p>llama.cpp writes it where a K-quant file's tensor has rows that are not whole 256-value
 * super-blocks (a Q4_K_M file's tensors of such rows become Q5_0), so K-quant files of models with
 * such widths (Qwen1.5-MoE's experts: 1408) hold it. The quantizer is quantize_row_q5_0_ref:
 * d = max / -16 where max is the signed value of largest magnitude, q = min(31, (int) (x / d +
 * 16.5)); decoding is dequantize_row_q5_0's {@code (q - 16) * d}. Inputs are first made finite (see
 * {@link Blocks#copyFinite}).
 */
public final class Q5_0Codec implements TensorCodec {

    private static final int QK = 32;
    private static final int BLOCK_BYTES = 22;
    private static final int QH = 2;
    private static final int QS = 6;
    private static final float LIMIT = Blocks.F16_MAX * 16f;

    @Override
    public GgmlType type() {
        return GgmlType.Q5_0;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.Q5_0, n);
        for (int b = 0; b < n / QK; b++) {
            long block = srcOffset + (long) b * BLOCK_BYTES;
            float d = Blocks.f16(src, block);
            int qh = Blocks.u32(src, block + QH);
            int out = dstOffset + b * QK;
            for (int j = 0; j < QK / 2; j++) {
                int q = Blocks.u8(src, block + QS + j);
                dst[out + j] = (((q & 0x0F) | ((qh >>> j) & 1) << 4) - 16) * d;
                dst[out + j + QK / 2] = (((q >>> 4) | ((qh >>> (j + 16)) & 1) << 4) - 16) * d;
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.Q5_0, n);
        float[] x = new float[QK];
        for (int b = 0; b < n / QK; b++) {
            Blocks.copyFinite(src, srcOffset + b * QK, x, QK, LIMIT);
            long block = dstOffset + (long) b * BLOCK_BYTES;
            float max = Blocks.signedMax(x, QK);
            float d = max / -16f;
            float id = d != 0f ? 1f / d : 0f;
            Blocks.putScale(dst, block, d);
            int qh = 0;
            for (int j = 0; j < QK / 2; j++) {
                int lo = Blocks.clamp((int) (x[j] * id + 16.5f), 0, 31);
                int hi = Blocks.clamp((int) (x[j + QK / 2] * id + 16.5f), 0, 31);
                Blocks.putByte(dst, block + QS + j, (lo & 0x0F) | ((hi & 0x0F) << 4));
                qh |= (lo >>> 4) << j | (hi >>> 4) << (j + 16);
            }
            Blocks.putU32(dst, block + QH, qh);
        }
    }
}
