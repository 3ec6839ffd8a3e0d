package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * IQ4_XS: super-blocks of 256 values in 8 blocks of 32, 136 bytes (4.25 bits per value), each
 * value a 4-bit index into {@link IQ4Quants#VALUES}, each block a 6-bit scale against one f16 d.
 *
 * <pre>
 * offset  size  field
 *      0     2  d            f16 super-scale
 *      2     2  scales_h     top two bits of block ib's scale in bits 2 ib, 2 ib + 1 (little-endian)
 *      4     4  scales_l[4]  low four bits of block ib's scale in nibble ib % 2 of scales_l[ib / 2]
 *      8   128  qs[128]      block ib: index j in the low nibble of qs[16 ib + j], j + 16 in its high
 * value = d * (scale - 32) * VALUES[index]
 * </pre>
 *
 * <p>Decoding follows dequantize_row_iq4_xs ({@code dl = d * (scale - 32)}, then
 * {@code dl * VALUES[index]}). The quantizer is quantize_row_iq4_xs_ref ({@link IQ4Quants#quantize}
 * with seven grid steps each way), so finite inputs give ggml's bytes. Inputs are first made finite
 * (see {@link Blocks#copyFinite}).
 */
public final class IQ4_XSCodec implements TensorCodec {

    private static final int QK_K = 256;
    private static final int BLOCK_BYTES = 136;
    private static final int SCALES_H = 2;
    private static final int SCALES_L = 4;
    private static final int QS = 8;
    private static final float LIMIT = Blocks.F16_MAX * 32f * 127f;

    @Override
    public GgmlType type() {
        return GgmlType.IQ4_XS;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.IQ4_XS, n);
        for (int b = 0; b < n / QK_K; b++) {
            long block = srcOffset + (long) b * BLOCK_BYTES;
            float d = Blocks.f16(src, block);
            int high = Blocks.u16(src, block + SCALES_H);
            int y = dstOffset + b * QK_K;
            for (int ib = 0; ib < 8; ib++) {
                int ls = ((Blocks.u8(src, block + SCALES_L + ib / 2) >>> (4 * (ib % 2))) & 0x0F)
                        | (((high >>> (2 * ib)) & 3) << 4);
                float dl = d * (ls - 32);
                for (int j = 0; j < 16; j++) {
                    int q = Blocks.u8(src, block + QS + 16 * ib + j);
                    dst[y + j] = dl * IQ4Quants.VALUES[q & 0x0F];
                    dst[y + j + 16] = dl * IQ4Quants.VALUES[q >>> 4];
                }
                y += 32;
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.IQ4_XS, n);
        float[] x = new float[QK_K];
        int[] levels = new int[QK_K];
        float[] scales = new float[8];
        float[] weights = new float[32];
        for (int b = 0; b < n / QK_K; b++) {
            Blocks.copyFinite(src, srcOffset + b * QK_K, x, QK_K, LIMIT);
            long block = dstOffset + (long) b * BLOCK_BYTES;
            IQ4Quants.quantize(x, 0, QK_K, levels, scales, weights, 7, dst, block, block + SCALES_H, block + SCALES_L,
                    block + QS);
        }
    }
}
