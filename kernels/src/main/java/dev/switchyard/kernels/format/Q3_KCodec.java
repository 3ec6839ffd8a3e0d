package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * Q3_K: super-blocks of 256 values in 16 sub-blocks of 16, 110 bytes (3.4375 bits per value).
 *
 * <pre>
 * offset  size  field
 *      0    32  hmask[32]   third bits: bit b of hmask[l] belongs to value 32 b + l
 *     32    64  qs[64]      low two bits: value 128 h + 32 j + l (l &lt; 32) in bits 2j..2j+1 of
 *                           qs[32 h + l]
 *     96    12  scales[12]  sixteen 6-bit scales: the low four bits of scale s in the low (s &lt; 8)
 *                           or high (s &gt;= 8) nibble of scales[s mod 8], the top two bits in bits
 *                           2 (s / 4) .. of scales[8 + s mod 4]
 *    108     2  d           f16 super-scale
 * q = low bits + 4 * third bit, value = d * (sc[s] - 32) * (q - 4)   (sub-block s = index / 16)
 * </pre>
 *
 * <p>Decoding follows dequantize_row_q3_K ({@code dl = d * (sc - 32)}, then {@code dl * (q - 4)}),
 * so it rounds exactly as llama.cpp's reference does. The quantizer is quantize_row_q3_K_ref:
 * per sub-block, a signed scale fitted by make_q3_quants (levels -4..3 from the value of largest
 * magnitude, then up to five rounds of moving single levels while that improves the weighted fit),
 * the scales quantized to 6 bits against d = max scale / -32, and the levels refitted against the
 * scales a decoder will read. Inputs are first made finite (see {@link Blocks#copyFinite}).
 */
public final class Q3_KCodec implements TensorCodec {

    private static final int QK_K = 256;
    private static final int BLOCK_BYTES = 110;
    private static final int HMASK = 0;
    private static final int QS = 32;
    private static final int SCALES = 96;
    private static final int D = 108;
    /** ggml's GROUP_MAX_EPS: below this a sub-block counts as all zeros. */
    private static final float GROUP_MAX_EPS = 1e-15f;
    /** Past this a value no longer fits d * 32 * 4 with d a finite f16. */
    private static final float LIMIT = Blocks.F16_MAX * 32f * 4f;

    @Override
    public GgmlType type() {
        return GgmlType.Q3_K;
    }

    /** The sixteen 6-bit scales (0..63) of the twelve bytes at {@code at}. */
    static void unpackScales(MemorySegment src, long at, int[] sc) {
        for (int s = 0; s < 16; s++) {
            int low = Blocks.u8(src, at + (s & 7));
            low = s < 8 ? low & 0x0F : low >>> 4;
            int high = (Blocks.u8(src, at + 8 + (s & 3)) >>> (2 * (s >>> 2))) & 3;
            sc[s] = low | (high << 4);
        }
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.Q3_K, n);
        int[] sc = new int[16];
        for (int b = 0; b < n / QK_K; b++) {
            long block = srcOffset + (long) b * BLOCK_BYTES;
            float d = Blocks.f16(src, block + D);
            unpackScales(src, block + SCALES, sc);
            int y = dstOffset + b * QK_K;
            for (int h = 0; h < 2; h++) {
                for (int j = 0; j < 4; j++) {
                    for (int half = 0; half < 2; half++) {
                        float dl = d * (sc[8 * h + 2 * j + half] - 32);
                        for (int l = 0; l < 16; l++) {
                            int low = (Blocks.u8(src, block + QS + 32 * h + 16 * half + l) >>> (2 * j)) & 3;
                            int third = (Blocks.u8(src, block + HMASK + 16 * half + l) >>> (4 * h + j)) & 1;
                            dst[y++] = dl * (low - (third != 0 ? 0 : 4));
                        }
                    }
                }
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.Q3_K, n);
        float[] x = new float[QK_K];
        int[] levels = new int[QK_K];
        float[] scales = new float[16];
        int[] sc = new int[16];
        for (int b = 0; b < n / QK_K; b++) {
            Blocks.copyFinite(src, srcOffset + b * QK_K, x, QK_K, LIMIT);
            long block = dstOffset + (long) b * BLOCK_BYTES;
            quantizeBlock(x, levels, scales, sc, dst, block);
        }
    }

    private static void quantizeBlock(float[] x, int[] levels, float[] scales, int[] sc, MemorySegment dst, long block) {
        float maxScale = 0f;
        float amax = 0f;
        for (int j = 0; j < 16; j++) {
            scales[j] = fitSigned(x, 16 * j, levels);
            float scale = Math.abs(scales[j]);
            if (scale > amax) {
                amax = scale;
                maxScale = scales[j];
            }
        }
        for (int i = 0; i < 12; i++) {
            Blocks.putByte(dst, block + SCALES + i, 0);
        }
        if (maxScale != 0f) {
            float iscale = -32f / maxScale;
            for (int j = 0; j < 16; j++) {
                int l = Blocks.clamp(Blocks.nearestInt(iscale * scales[j]), -32, 31) + 32;
                long lowAt = block + SCALES + (j & 7);
                int lowShift = j < 8 ? 0 : 4;
                Blocks.putByte(dst, lowAt, Blocks.u8(dst, lowAt) | ((l & 0x0F) << lowShift));
                long highAt = block + SCALES + 8 + (j & 3);
                Blocks.putByte(dst, highAt, Blocks.u8(dst, highAt) | ((l >>> 4) << (2 * (j >>> 2))));
            }
            Blocks.putScale(dst, block + D, 1f / iscale);
        } else {
            Blocks.putScale(dst, block + D, 0f);
        }

        unpackScales(dst, block + SCALES, sc);
        float d = Blocks.f16(dst, block + D);
        for (int j = 0; j < 16; j++) {
            float dj = d * (sc[j] - 32);
            if (dj == 0f) {
                continue;
            }
            for (int i = 0; i < 16; i++) {
                levels[16 * j + i] = Blocks.clamp(Blocks.nearestInt(x[16 * j + i] / dj), -4, 3) + 4;
            }
        }

        for (int i = 0; i < 32; i++) {
            Blocks.putByte(dst, block + HMASK + i, 0);
        }
        for (int v = 0; v < QK_K; v++) {
            if (levels[v] > 3) {
                long at = block + HMASK + (v & 31);
                Blocks.putByte(dst, at, Blocks.u8(dst, at) | (1 << (v >>> 5)));
                levels[v] -= 4;
            }
        }
        for (int h = 0; h < 2; h++) {
            for (int l = 0; l < 32; l++) {
                int v = 128 * h + l;
                Blocks.putByte(dst, block + QS + 32 * h + l,
                        levels[v] | (levels[v + 32] << 2) | (levels[v + 64] << 4) | (levels[v + 96] << 6));
            }
        }
    }

    /**
     * ggml's make_q3_quants(16, 4, x, L, true): levels -4..3 against the value of largest
     * magnitude, then up to five rounds in which each level moves to where it best fits alone if
     * that raises the weighted fit (weights x squared). Writes levels + 4 to {@code levels[xo ..]}
     * (0 for an all-zero sub-block) and returns the scale.
     */
    private static float fitSigned(float[] x, int xo, int[] levels) {
        final int n = 16;
        final int nmax = 4;
        float max = 0f;
        float amax = 0f;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) {
                levels[xo + i] = 0;
            }
            return 0f;
        }
        float iscale = -nmax / max;
        float sumLX = 0f;
        float sumL2 = 0f;
        for (int i = 0; i < n; i++) {
            int l = Blocks.clamp(Blocks.nearestInt(iscale * x[xo + i]), -nmax, nmax - 1);
            levels[xo + i] = l;
            float w = x[xo + i] * x[xo + i];
            sumLX += w * x[xo + i] * l;
            sumL2 += w * l * l;
        }
        for (int attempt = 0; attempt < 5; attempt++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float w = x[xo + i] * x[xo + i];
                float slx = sumLX - w * x[xo + i] * levels[xo + i];
                if (slx > 0f) {
                    float sl2 = sumL2 - w * levels[xo + i] * levels[xo + i];
                    int newL = Blocks.clamp(Blocks.nearestInt(x[xo + i] * sl2 / slx), -nmax, nmax - 1);
                    if (newL != levels[xo + i]) {
                        slx += w * x[xo + i] * newL;
                        sl2 += w * newL * newL;
                        if (sl2 > 0f && slx * slx * sumL2 > sumLX * sumLX * sl2) {
                            levels[xo + i] = newL;
                            sumLX = slx;
                            sumL2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) {
                break;
            }
        }
        for (int i = 0; i < n; i++) {
            levels[xo + i] += nmax;
        }
        return sumL2 > 0f ? sumLX / sumL2 : 0f;
    }
}
