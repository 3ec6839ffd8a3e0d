package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Q5_K: super-blocks of 256 values in 8 sub-blocks of 32, 176 bytes (5.5 bits per value): Q4_K
 * with a fifth bit per value.
 *
 * <pre>
 * offset  size  field
 *      0     2  d           f16 super-scale for the sub-block scales
 *      2     2  dmin        f16 super-scale for the sub-block mins
 *      4    12  scales[12]  eight 6-bit scales sc[j] and eight 6-bit mins m[j], packed as
 *                           {@link KQuants} says
 *     16    32  qh[32]      the fifth bits: bit j of qh[l] belongs to value l of sub-block j
 *     48   128  qs[128]     the low 4 bits; 64-value chunk c uses qs[32c .. 32c+32): its low
 *                           nibbles are sub-block 2c, its high nibbles sub-block 2c+1
 * q = nibble + 16 * bit, value = d * sc[j] * q - dmin * m[j]   (sub-block j = index / 32)
 * </pre>
 *
 * <p>Decoding follows dequantize_row_q5_K, operation order included ({@code d1 * q - m1}, the
 * product exact: a 17-bit d1 times a 5-bit q), so it rounds exactly as llama.cpp's reference does.
 * The quantizer is quantize_row_q5_K_ref ({@link KQuants#quantizeSuperBlock} with levels 0..31 and
 * ggml's search grid for this format: rmin -0.5, rdelta 0.1, 15 steps), so finite inputs give
 * ggml's bytes.
 */
public final class Q5_KCodec implements TensorCodec {

    private static final int QK_K = KQuants.QK_K;
    private static final int BLOCK_BYTES = 176;
    private static final int QH = 16;
    private static final int QS = 48;

    @Override
    public GgmlType type() {
        return GgmlType.Q5_K;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.Q5_K, n);
        KQuants.dequantize(src, srcOffset, n / QK_K, BLOCK_BYTES, QH, QS, dst, dstOffset);
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.Q5_K, n);
        KQuants.Scratch s = new KQuants.Scratch();
        int[] qh = new int[32];
        for (int b = 0; b < n / QK_K; b++) {
            long block = dstOffset + (long) b * BLOCK_BYTES;
            Blocks.copyFinite(src, srcOffset + b * QK_K, s.x, QK_K, KQuants.LIMIT);
            KQuants.quantizeSuperBlock(s, dst, block, 31, -0.5f, 0.1f, 15);
            Arrays.fill(qh, 0);
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l++) {
                    int lo = s.levels[64 * c + l];
                    int hi = s.levels[64 * c + 32 + l];
                    qh[l] |= (lo >>> 4) << (2 * c) | (hi >>> 4) << (2 * c + 1);
                    Blocks.putByte(dst, block + QS + 32 * c + l, (lo & 0x0F) | ((hi & 0x0F) << 4));
                }
            }
            for (int l = 0; l < 32; l++) {
                Blocks.putByte(dst, block + QH + l, qh[l]);
            }
        }
    }
}
