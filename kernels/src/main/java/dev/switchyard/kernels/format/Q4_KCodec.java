package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * Q4_K: super-blocks of 256 values in 8 sub-blocks of 32, 144 bytes (4.5 bits per value).
 *
 * <pre>
 * offset  size  field
 *      0     2  d           f16 super-scale for the sub-block scales
 *      2     2  dmin        f16 super-scale for the sub-block mins
 *      4    12  scales[12]  eight 6-bit scales sc[j] and eight 6-bit mins m[j], packed:
 *                             j &lt; 4:  sc[j] = scales[j] &amp; 63,  m[j] = scales[j+4] &amp; 63
 *                             j &gt;= 4: sc[j] = (scales[j+4] &amp; 15) | (scales[j-4] &gt;&gt; 6) &lt;&lt; 4
 *                                     m[j]  = (scales[j+4] &gt;&gt; 4) | (scales[j]   &gt;&gt; 6) &lt;&lt; 4
 *     16   128  qs[128]     4-bit quants; 64-value chunk c uses qs[32c .. 32c+32): its low
 *                           nibbles are sub-block 2c, its high nibbles sub-block 2c+1
 * value = d * sc[j] * q - dmin * m[j]   (sub-block j = index / 32)
 * </pre>
 *
 * <p>A min per 32 values lets a skewed sub-block spend all 16 levels on the range it actually
 * covers, and quantizing the per-sub-block scales and mins to 6 bits against two f16 super-scales
 * keeps that to half a bit per value; the odd packing is ggml's get_scale_min_k4, which fits 16
 * six-bit numbers into 12 bytes. Decoding follows dequantize_row_q4_K, operation order included,
 * so it rounds exactly as llama.cpp's reference does.
 *
 * <p>The quantizer ports quantize_row_q4_K_ref (make_qkx2_quants: a weighted least-squares search
 * of scale and min over the min-max grid and 21 rescaled variants per sub-block) in the same float
 * arithmetic, so finite inputs give ggml's bytes. It departs from ggml only where ggml misbehaves:
 * inputs are made finite first (see {@link Blocks#copyFinite}), a negative sub-block scale clamps
 * to 0 where ggml's uint8 conversion would wrap it to 63, and super-scales saturate at the f16
 * maximum.
 */
public final class Q4_KCodec implements TensorCodec {

    private static final int QK_K = 256;
    private static final int BLOCK_BYTES = 144;
    private static final int SCALES = 4;
    private static final int QS = 16;
    /** Past this a sub-block min no longer fits dmin * 63 with dmin a finite f16. */
    private static final float LIMIT = Blocks.F16_MAX * 63f;

    @Override
    public GgmlType type() {
        return GgmlType.Q4_K;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.Q4_K, n);
        int[] sc = new int[8];
        int[] m = new int[8];
        for (int b = 0; b < n / QK_K; b++) {
            long block = srcOffset + (long) b * BLOCK_BYTES;
            float d = Blocks.f16(src, block);
            float min = Blocks.f16(src, block + 2);
            unpackScales(src, block + SCALES, sc, m);
            int y = dstOffset + b * QK_K;
            long q = block + QS;
            for (int j = 0; j < 8; j += 2) {
                float d1 = d * sc[j];
                float m1 = min * m[j];
                float d2 = d * sc[j + 1];
                float m2 = min * m[j + 1];
                for (int l = 0; l < 32; l++) {
                    dst[y++] = d1 * (Blocks.u8(src, q + l) & 0x0F) - m1;
                }
                for (int l = 0; l < 32; l++) {
                    dst[y++] = d2 * (Blocks.u8(src, q + l) >>> 4) - m2;
                }
                q += 32;
            }
        }
    }

    /** get_scale_min_k4 for all eight sub-blocks. */
    private static void unpackScales(MemorySegment src, long at, int[] sc, int[] m) {
        for (int j = 0; j < 4; j++) {
            int lo = Blocks.u8(src, at + j);
            int mid = Blocks.u8(src, at + j + 4);
            int hi = Blocks.u8(src, at + j + 8);
            sc[j] = lo & 63;
            m[j] = mid & 63;
            sc[j + 4] = (hi & 0x0F) | ((lo >>> 6) << 4);
            m[j + 4] = (hi >>> 4) | ((mid >>> 6) << 4);
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.Q4_K, n);
        Scratch s = new Scratch();
        for (int b = 0; b < n / QK_K; b++) {
            Blocks.copyFinite(src, srcOffset + b * QK_K, s.x, QK_K, LIMIT);
            quantizeBlock(s, dst, dstOffset + (long) b * BLOCK_BYTES);
        }
    }

    private static final class Scratch {
        final float[] x = new float[QK_K];
        final int[] levels = new int[QK_K];
        final int[] aux = new int[32];
        final float[] weights = new float[32];
        final float[] scales = new float[8];
        final float[] mins = new float[8];
        final int[] sc = new int[8];
        final int[] m = new int[8];
    }

    private static void quantizeBlock(Scratch s, MemorySegment dst, long block) {
        float[] x = s.x;
        float maxScale = 0f;
        float maxMin = 0f;
        for (int j = 0; j < 8; j++) {
            // Weight each value by its own size plus the sub-block's RMS, so large weights are
            // fitted more closely without letting the small ones go entirely.
            float sumX2 = 0f;
            for (int l = 0; l < 32; l++) {
                sumX2 += x[32 * j + l] * x[32 * j + l];
            }
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) {
                s.weights[l] = avX + Math.abs(x[32 * j + l]);
            }
            s.scales[j] = fitScaleAndMin(x, 32 * j, s.weights, s.levels, s.aux, s.mins, j);
            if (s.scales[j] > maxScale) {
                maxScale = s.scales[j];
            }
            if (s.mins[j] > maxMin) {
                maxMin = s.mins[j];
            }
        }

        float invScale = maxScale > 0f ? 63f / maxScale : 0f;
        float invMin = maxMin > 0f ? 63f / maxMin : 0f;
        for (int j = 0; j < 8; j++) {
            s.sc[j] = Blocks.clamp(Blocks.nearestInt(invScale * s.scales[j]), 0, 63);
            s.m[j] = Blocks.clamp(Blocks.nearestInt(invMin * s.mins[j]), 0, 63);
        }
        for (int j = 0; j < 4; j++) {
            Blocks.putByte(dst, block + SCALES + j, s.sc[j] | ((s.sc[j + 4] >>> 4) << 6));
            Blocks.putByte(dst, block + SCALES + j + 4, s.m[j] | ((s.m[j + 4] >>> 4) << 6));
            Blocks.putByte(dst, block + SCALES + j + 8, (s.sc[j + 4] & 0x0F) | ((s.m[j + 4] & 0x0F) << 4));
        }
        float d = Blocks.putScale(dst, block, maxScale / 63f);
        float dmin = Blocks.putScale(dst, block + 2, maxMin / 63f);

        // Requantize against the scales a decoder will actually see (6-bit, f16-rounded).
        for (int j = 0; j < 8; j++) {
            float dj = d * s.sc[j];
            if (dj == 0f) {
                continue;
            }
            float dm = dmin * s.m[j];
            for (int l = 0; l < 32; l++) {
                int q = Blocks.nearestInt((x[32 * j + l] + dm) / dj);
                s.levels[32 * j + l] = Blocks.clamp(q, 0, 15);
            }
        }
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                int lo = s.levels[64 * c + l];
                int hi = s.levels[64 * c + 32 + l];
                Blocks.putByte(dst, block + QS + 32 * c + l, lo | (hi << 4));
            }
        }
    }

    /**
     * ggml's make_qkx2_quants(32, 15, x, weights, L, &amp;the_min, Laux, -1, 0.1, 20, false): fits
     * x ~ scale * q + min with q in 0..15 and min &lt;= 0, trying the plain min-max grid and 21
     * stretched ones, each refined by weighted least squares. Writes the levels to
     * {@code levels[xo ..]}, stores -min in {@code mins[slot]} and returns the scale.
     */
    private static float fitScaleAndMin(float[] x, int xo, float[] w, int[] levels, int[] aux,
                                        float[] mins, int slot) {
        final int n = 32;
        final int nmax = 15;
        final float rmin = -1f;
        final float rdelta = 0.1f;
        final int nstep = 20;

        float min = x[xo];
        float max = x[xo];
        float sumW = w[0];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            if (x[xo + i] < min) {
                min = x[xo + i];
            }
            if (x[xo + i] > max) {
                max = x[xo + i];
            }
            sumW += w[i];
            sumX += w[i] * x[xo + i];
        }
        if (min > 0f) {
            min = 0f;
        }
        if (max == min) {
            for (int i = 0; i < n; i++) {
                levels[xo + i] = 0;
            }
            mins[slot] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1f / iscale;
        float bestError = 0f;
        for (int i = 0; i < n; i++) {
            int l = Blocks.clamp(Blocks.nearestInt(iscale * (x[xo + i] - min)), 0, nmax);
            levels[xo + i] = l;
            float diff = scale * l + min - x[xo + i];
            bestError += w[i] * (diff * diff);
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0f;
            float sumL2 = 0f;
            float sumXL = 0f;
            for (int i = 0; i < n; i++) {
                int l = Blocks.clamp(Blocks.nearestInt(iscale * (x[xo + i] - min)), 0, nmax);
                aux[i] = l;
                sumL += w[i] * l;
                sumL2 += w[i] * l * l;
                sumXL += w[i] * l * x[xo + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0f) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0f) {
                    thisMin = 0f;
                    thisScale = sumXL / sumL2;
                }
                float error = 0f;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * aux[i] + thisMin - x[xo + i];
                    error += w[i] * (diff * diff);
                }
                if (error < bestError) {
                    for (int i = 0; i < n; i++) {
                        levels[xo + i] = aux[i];
                    }
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        mins[slot] = -min;
        return scale;
    }
}
