package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Q2_K: super-blocks of 256 values in 16 sub-blocks of 16, 84 bytes (2.625 bits per value).
 *
 * <pre>
 * offset  size  field
 *      0    16  scales[16]  sub-block s: scale in the low nibble, min in the high nibble
 *     16    64  qs[64]      two-bit levels: value 128 h + 32 j + l (l &lt; 32) in bits 2j..2j+1 of
 *                           qs[32 h + l]
 *     80     2  d           f16 super-scale for the scales
 *     82     2  dmin        f16 super-scale for the mins
 * value = d * (scales[s] &amp; 15) * q - dmin * (scales[s] &gt;&gt; 4)   (sub-block s = index / 16)
 * </pre>
 *
 * <p>Decoding follows dequantize_row_q2_K ({@code dl * q - ml}, the product exact), so it rounds
 * exactly as llama.cpp's reference does. The quantizer is quantize_row_q2_K_ref: per sub-block
 * make_qkx2_quants with levels 0..3, weights |x| and absolute error (rmin -0.5, rdelta 0.1, 15
 * steps), scales and mins quantized to 4 bits against d = max scale / 15 and dmin = max min / 15,
 * and the levels refitted against what a decoder will read. It departs from ggml only where ggml
 * misbehaves: inputs are made finite first (see {@link Blocks#copyFinite}), and a negative
 * sub-block scale or min clamps to 0 where ggml's uint8 conversion would wrap it.
 */
public final class Q2_KCodec implements TensorCodec {

    private static final int QK_K = 256;
    private static final int BLOCK_BYTES = 84;
    private static final int QS = 16;
    private static final int D = 80;
    private static final int DMIN = 82;
    /** Past this a sub-block min no longer fits dmin * 15 with dmin a finite f16. */
    private static final float LIMIT = Blocks.F16_MAX * 15f;

    @Override
    public GgmlType type() {
        return GgmlType.Q2_K;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.Q2_K, n);
        for (int b = 0; b < n / QK_K; b++) {
            long block = srcOffset + (long) b * BLOCK_BYTES;
            float d = Blocks.f16(src, block + D);
            float min = Blocks.f16(src, block + DMIN);
            int y = dstOffset + b * QK_K;
            for (int s = 0; s < 16; s++) {
                int sc = Blocks.u8(src, block + s);
                float dl = d * (sc & 0x0F);
                float ml = min * (sc >>> 4);
                int h = s >>> 3;
                int j = (s >>> 1) & 3;
                long q = block + QS + 32L * h + 16 * (s & 1);
                for (int l = 0; l < 16; l++) {
                    dst[y++] = dl * ((Blocks.u8(src, q + l) >>> (2 * j)) & 3) - ml;
                }
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.Q2_K, n);
        float[] x = new float[QK_K];
        int[] levels = new int[QK_K];
        int[] aux = new int[16];
        float[] weights = new float[16];
        float[] scales = new float[16];
        float[] mins = new float[16];
        int[] packed = new int[16];
        for (int b = 0; b < n / QK_K; b++) {
            Blocks.copyFinite(src, srcOffset + b * QK_K, x, QK_K, LIMIT);
            long block = dstOffset + (long) b * BLOCK_BYTES;
            float maxScale = 0f;
            float maxMin = 0f;
            for (int j = 0; j < 16; j++) {
                for (int l = 0; l < 16; l++) {
                    weights[l] = Math.abs(x[16 * j + l]);
                }
                scales[j] = KQuants.fitScaleAndMin(x, 16 * j, 16, weights, levels, aux, mins, j, 3, -0.5f, 0.1f, 15, true);
                if (scales[j] > maxScale) {
                    maxScale = scales[j];
                }
                if (mins[j] > maxMin) {
                    maxMin = mins[j];
                }
            }
            Arrays.fill(packed, 0);
            if (maxScale > 0f) {
                float iscale = 15f / maxScale;
                for (int j = 0; j < 16; j++) {
                    packed[j] = Blocks.clamp(Blocks.nearestInt(iscale * scales[j]), 0, 15);
                }
                Blocks.putScale(dst, block + D, maxScale / 15f);
            } else {
                Blocks.putScale(dst, block + D, 0f);
            }
            if (maxMin > 0f) {
                float iscale = 15f / maxMin;
                for (int j = 0; j < 16; j++) {
                    packed[j] |= Blocks.clamp(Blocks.nearestInt(iscale * mins[j]), 0, 15) << 4;
                }
                Blocks.putScale(dst, block + DMIN, maxMin / 15f);
            } else {
                Blocks.putScale(dst, block + DMIN, 0f);
            }
            for (int j = 0; j < 16; j++) {
                Blocks.putByte(dst, block + j, packed[j]);
            }
            float d = Blocks.f16(dst, block + D);
            float dmin = Blocks.f16(dst, block + DMIN);
            for (int j = 0; j < 16; j++) {
                float dj = d * (packed[j] & 0x0F);
                if (dj == 0f) {
                    continue;
                }
                float dm = dmin * (packed[j] >>> 4);
                for (int i = 0; i < 16; i++) {
                    levels[16 * j + i] = Blocks.clamp(Blocks.nearestInt((x[16 * j + i] + dm) / dj), 0, 3);
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
    }
}
