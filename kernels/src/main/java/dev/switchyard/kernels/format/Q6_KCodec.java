package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * Q6_K: super-blocks of 256 values in 16 sub-blocks of 16, 210 bytes (6.5625 bits per value).
 *
 * <pre>
 * offset  size  field
 *      0   128  ql[128]     low 4 bits of each quant
 *    128    64  qh[64]      high 2 bits of each quant, four per byte
 *    192    16  scales[16]  int8 scale per 16-value sub-block
 *    208     2  d           f16 super-scale
 * </pre>
 *
 * For half h (values 128h .. 128h+128, using ql[64h ..], qh[32h ..], scales[8h ..]) and l in 0..31:
 * <pre>
 *   value 128h + l      : ql[64h + l]      &amp; 15 | (qh[32h + l] &gt;&gt; 0 &amp; 3) &lt;&lt; 4
 *   value 128h + l + 32 : ql[64h + l + 32] &amp; 15 | (qh[32h + l] &gt;&gt; 2 &amp; 3) &lt;&lt; 4
 *   value 128h + l + 64 : ql[64h + l]      &gt;&gt; 4 | (qh[32h + l] &gt;&gt; 4 &amp; 3) &lt;&lt; 4
 *   value 128h + l + 96 : ql[64h + l + 32] &gt;&gt; 4 | (qh[32h + l] &gt;&gt; 6 &amp; 3) &lt;&lt; 4
 *   value i = d * scales[i / 16] * (q - 32)
 * </pre>
 *
 * <p>Splitting each 6-bit quant into a nibble plane and a 2-bit plane keeps every field
 * byte-aligned for SIMD unpacking; the symmetric form (no min) suits weights centred on zero, and
 * 8-bit sub-block scales make it precise enough that llama.cpp's mixed quantizations keep their
 * most sensitive tensors in it. Decoding follows dequantize_row_q6_K, operation order included,
 * so it rounds exactly as llama.cpp's reference does.
 *
 * <p>The quantizer ports quantize_row_q6_K_ref (make_qx_quants with x^2 weights: 19 candidate
 * scales per sub-block, each refined by weighted least squares) in the same float arithmetic, so
 * finite inputs give ggml's bytes. Inputs are first made finite (see {@link Blocks#copyFinite})
 * and the super-scale saturates at the f16 maximum.
 */
public final class Q6_KCodec implements TensorCodec {

    private static final int QK_K = 256;
    private static final int BLOCK_BYTES = 210;
    private static final int QH = 128;
    private static final int SCALES = 192;
    private static final int D = 208;
    /** The largest magnitude a block can express: d * 128 * 32 with d the largest f16. */
    private static final float LIMIT = Blocks.F16_MAX * 128f * 32f;
    /** ggml's GROUP_MAX_EPS: below this a sub-block counts as all zeros. */
    private static final float GROUP_MAX_EPS = 1e-15f;

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.Q6_K, n);
        for (int b = 0; b < n / QK_K; b++) {
            long block = srcOffset + (long) b * BLOCK_BYTES;
            float d = Blocks.f16(src, block + D);
            for (int h = 0; h < 2; h++) {
                long ql = block + 64L * h;
                long qh = block + QH + 32L * h;
                long sc = block + SCALES + 8L * h;
                int y = dstOffset + b * QK_K + 128 * h;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int low = Blocks.u8(src, ql + l);
                    int low32 = Blocks.u8(src, ql + l + 32);
                    int high = Blocks.u8(src, qh + l);
                    int q1 = ((low & 0x0F) | ((high & 3) << 4)) - 32;
                    int q2 = ((low32 & 0x0F) | (((high >>> 2) & 3) << 4)) - 32;
                    int q3 = ((low >>> 4) | (((high >>> 4) & 3) << 4)) - 32;
                    int q4 = ((low32 >>> 4) | (((high >>> 6) & 3) << 4)) - 32;
                    dst[y + l] = d * Blocks.i8(src, sc + is) * q1;
                    dst[y + l + 32] = d * Blocks.i8(src, sc + is + 2) * q2;
                    dst[y + l + 64] = d * Blocks.i8(src, sc + is + 4) * q3;
                    dst[y + l + 96] = d * Blocks.i8(src, sc + is + 6) * q4;
                }
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.Q6_K, n);
        float[] x = new float[QK_K];
        int[] levels = new int[QK_K];
        float[] scales = new float[16];
        for (int b = 0; b < n / QK_K; b++) {
            Blocks.copyFinite(src, srcOffset + b * QK_K, x, QK_K, LIMIT);
            quantizeBlock(x, levels, scales, dst, dstOffset + (long) b * BLOCK_BYTES);
        }
    }

    private static void quantizeBlock(float[] x, int[] levels, float[] scales, MemorySegment dst, long block) {
        float maxScale = 0f;
        float maxAbsScale = 0f;
        for (int ib = 0; ib < 16; ib++) {
            float scale = fitScale(x, 16 * ib, levels);
            scales[ib] = scale;
            if (Math.abs(scale) > maxAbsScale) {
                maxAbsScale = Math.abs(scale);
                maxScale = scale;
            }
        }
        if (maxAbsScale < GROUP_MAX_EPS) {
            dst.asSlice(block, BLOCK_BYTES).fill((byte) 0);
            return;
        }

        // The sub-block scale of largest magnitude maps to -128, the int8 value with no positive
        // twin, for one more step of resolution than +127 would give; d takes the matching sign.
        float iscale = -128f / maxScale;
        float d = Blocks.putScale(dst, block + D, 1f / iscale);
        for (int ib = 0; ib < 16; ib++) {
            int sc = Blocks.clamp(Blocks.nearestInt(iscale * scales[ib]), -128, 127);
            Blocks.putByte(dst, block + SCALES + ib, sc);
            // Requantize against the scale a decoder will actually see (int8, f16-rounded).
            float dj = d * sc;
            if (dj == 0f) {
                continue;
            }
            for (int i = 0; i < 16; i++) {
                int l = Blocks.clamp(Blocks.nearestInt(x[16 * ib + i] / dj), -32, 31);
                levels[16 * ib + i] = l + 32;
            }
        }

        for (int h = 0; h < 2; h++) {
            long ql = block + 64L * h;
            long qh = block + QH + 32L * h;
            int j = 128 * h;
            for (int l = 0; l < 32; l++) {
                int a = levels[j + l];
                int b = levels[j + l + 32];
                int c = levels[j + l + 64];
                int e = levels[j + l + 96];
                Blocks.putByte(dst, ql + l, (a & 0x0F) | ((c & 0x0F) << 4));
                Blocks.putByte(dst, ql + l + 32, (b & 0x0F) | ((e & 0x0F) << 4));
                Blocks.putByte(dst, qh + l, (a >>> 4) | ((b >>> 4) << 2) | ((c >>> 4) << 4) | ((e >>> 4) << 6));
            }
        }
    }

    /**
     * ggml's make_qx_quants(16, 32, x, L, 1, NULL): a symmetric fit x ~ scale * q with q in
     * -32..31, weighting each value by x^2 so the large ones, which dominate a dot product, are
     * fitted best. Tries the grid through the largest value and 18 slightly stretched or shrunk
     * ones, keeping the least-squares scale of the best. Writes levels + 32 to
     * {@code levels[xo ..]} and returns the scale (negative when the largest value is positive).
     */
    private static float fitScale(float[] x, int xo, int[] levels) {
        final int n = 16;
        final int nmax = 32;

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
            float v = x[xo + i];
            int l = Blocks.clamp(Blocks.nearestInt(iscale * v), -nmax, nmax - 1);
            levels[xo + i] = l + nmax;
            float w = v * v;
            sumLX += w * v * l;
            sumL2 += w * l * l;
        }
        float scale = sumL2 != 0f ? sumLX / sumL2 : 0f;
        float best = scale * sumLX;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumLX = 0f;
            sumL2 = 0f;
            for (int i = 0; i < n; i++) {
                float v = x[xo + i];
                int l = Blocks.clamp(Blocks.nearestInt(iscale * v), -nmax, nmax - 1);
                float w = v * v;
                sumLX += w * v * l;
                sumL2 += w * l * l;
            }
            if (sumL2 > 0f && sumLX * sumLX > best * sumL2) {
                for (int i = 0; i < n; i++) {
                    int l = Blocks.clamp(Blocks.nearestInt(iscale * x[xo + i]), -nmax, nmax - 1);
                    levels[xo + i] = l + nmax;
                }
                scale = sumLX / sumL2;
                best = scale * sumLX;
            }
        }
        return scale;
    }
}
