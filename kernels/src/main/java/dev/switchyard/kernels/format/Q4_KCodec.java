package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * Q4_K: super-blocks of 256 values in 8 sub-blocks of 32, 144 bytes (4.5 bits per value).
 *
 * <pre>
 * offset  size  field
 *      0     2  d           f16 super-scale for the sub-block scales
 *      2     2  dmin        f16 super-scale for the sub-block mins
 *      4    12  scales[12]  eight 6-bit scales sc[j] and eight 6-bit mins m[j], packed as
 *                           {@link KQuants} says
 *     16   128  qs[128]     4-bit quants; 64-value chunk c uses qs[32c .. 32c+32): its low
 *                           nibbles are sub-block 2c, its high nibbles sub-block 2c+1
 * value = d * sc[j] * q - dmin * m[j]   (sub-block j = index / 32)
 * </pre>
 *
 * <p>A min per 32 values lets a skewed sub-block spend all 16 levels on the range it actually
 * covers, and quantizing the per-sub-block scales and mins to 6 bits against two f16 super-scales
 * keeps that to half a bit per value. Decoding follows dequantize_row_q4_K, operation order
 * included, so it rounds exactly as llama.cpp's reference does. The quantizer is
 * quantize_row_q4_K_ref ({@link KQuants#quantizeSuperBlock} with levels 0..15 and ggml's search
 * grid for this format: rmin -1, rdelta 0.1, 20 steps), so finite inputs give ggml's bytes.
 */
public final class Q4_KCodec implements TensorCodec {

    private static final int QK_K = KQuants.QK_K;
    private static final int BLOCK_BYTES = 144;
    private static final int QS = 16;

    @Override
    public GgmlType type() {
        return GgmlType.Q4_K;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.Q4_K, n);
        KQuants.dequantize(src, srcOffset, n / QK_K, BLOCK_BYTES, -1, QS, dst, dstOffset);
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.Q4_K, n);
        KQuants.Scratch s = new KQuants.Scratch();
        for (int b = 0; b < n / QK_K; b++) {
            long block = dstOffset + (long) b * BLOCK_BYTES;
            Blocks.copyFinite(src, srcOffset + b * QK_K, s.x, QK_K, KQuants.LIMIT);
            KQuants.quantizeSuperBlock(s, dst, block, 15, -1f, 0.1f, 20);
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l++) {
                    int lo = s.levels[64 * c + l];
                    int hi = s.levels[64 * c + 32 + l];
                    Blocks.putByte(dst, block + QS + 32 * c + l, lo | (hi << 4));
                }
            }
        }
    }
}
