package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * What Q4_K and Q5_K share (and, for the fit, Q2_K): super-blocks of 256 values in eight sub-blocks of 32, each with a
 * 6-bit scale and a 6-bit min against two f16 super-scales (d, dmin) at the block's first four
 * bytes, the sixteen 6-bit numbers packed into twelve bytes at byte 4 (ggml's get_scale_min_k4):
 * <pre>
 *   j &lt; 4:  sc[j] = scales[j] &amp; 63,  m[j] = scales[j+4] &amp; 63
 *   j &gt;= 4: sc[j] = (scales[j+4] &amp; 15) | (scales[j-4] &gt;&gt; 6) &lt;&lt; 4
 *           m[j]  = (scales[j+4] &gt;&gt; 4) | (scales[j]   &gt;&gt; 6) &lt;&lt; 4
 * </pre>
 * and value = d * sc[j] * q - dmin * m[j], the formats differing only in how many bits q has
 * and where they are stored.
 *
 * <p>The quantizer half ports ggml's quantize_row_q{4,5}_K_ref up to the levels (make_qkx2_quants:
 * a weighted least-squares search of scale and min over the min-max grid and rescaled variants per
 * sub-block), in the same float arithmetic, so finite inputs give ggml's bytes. It departs from
 * ggml only where ggml misbehaves: inputs are made finite first (see {@link Blocks#copyFinite}), a
 * negative sub-block scale clamps to 0 where ggml's uint8 conversion would wrap it to 63, and
 * super-scales saturate at the f16 maximum.
 */
final class KQuants {

    static final int QK_K = 256;
    static final int SCALES = 4;
    /** Past this a sub-block min no longer fits dmin * 63 with dmin a finite f16. */
    static final float LIMIT = Blocks.F16_MAX * 63f;

    private KQuants() {
    }

    /** get_scale_min_k4 for all eight sub-blocks of the twelve bytes at {@code at}. */
    static void unpackScales(MemorySegment src, long at, int[] sc, int[] m) {
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

    /**
     * Decodes {@code blocks} super-blocks of {@code blockBytes} bytes from {@code srcOffset} into
     * {@code dst[dstOffset ..]}, as dequantize_row_q4_K and dequantize_row_q5_K do: the scales and
     * mins at byte 4, the nibbles at byte {@code qs} of each block, and, where {@code qh} &gt;= 0,
     * the fifth bits at byte {@code qh} (bit j of qh[l] belongs to value l of sub-block j).
     */
    static void dequantize(MemorySegment src, long srcOffset, int blocks, int blockBytes, int qh, int qs, float[] dst,
                           int dstOffset) {
        int[] sc = new int[8];
        int[] m = new int[8];
        for (int b = 0; b < blocks; b++) {
            long block = srcOffset + (long) b * blockBytes;
            float d = Blocks.f16(src, block);
            float min = Blocks.f16(src, block + 2);
            unpackScales(src, block + SCALES, sc, m);
            int y = dstOffset + b * QK_K;
            long q = block + qs;
            for (int j = 0; j < 8; j += 2) {
                float d1 = d * sc[j];
                float m1 = min * m[j];
                float d2 = d * sc[j + 1];
                float m2 = min * m[j + 1];
                for (int l = 0; l < 32; l++) {
                    int high = qh < 0 ? 0 : (Blocks.u8(src, block + qh + l) >>> j) & 1;
                    dst[y++] = d1 * ((Blocks.u8(src, q + l) & 0x0F) + 16 * high) - m1;
                }
                for (int l = 0; l < 32; l++) {
                    int high = qh < 0 ? 0 : (Blocks.u8(src, block + qh + l) >>> (j + 1)) & 1;
                    dst[y++] = d2 * ((Blocks.u8(src, q + l) >>> 4) + 16 * high) - m2;
                }
                q += 32;
            }
        }
    }

    /** A super-block's working arrays, reused block after block. */
    static final class Scratch {
        final float[] x = new float[QK_K];
        /** The levels a decoder reads back, 0..nmax, value after value. */
        final int[] levels = new int[QK_K];
        final int[] aux = new int[32];
        final float[] weights = new float[32];
        final float[] scales = new float[8];
        final float[] mins = new float[8];
        final int[] sc = new int[8];
        final int[] m = new int[8];
    }

    /**
     * Quantizes the super-block in {@code s.x} with levels 0..{@code nmax}: writes d, dmin and the
     * packed scales at {@code block} and leaves every value's level in {@code s.levels}, fitted
     * against the scales a decoder will read (6-bit, f16-rounded). {@code rmin}, {@code rdelta} and
     * {@code nstep} are make_qkx2_quants' search grid for the format.
     */
    static void quantizeSuperBlock(Scratch s, MemorySegment dst, long block, int nmax, float rmin, float rdelta,
                                   int nstep) {
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
            s.scales[j] = fitScaleAndMin(x, 32 * j, 32, s.weights, s.levels, s.aux, s.mins, j, nmax, rmin, rdelta, nstep,
                    false);
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

        for (int j = 0; j < 8; j++) {
            float dj = d * s.sc[j];
            if (dj == 0f) {
                continue;
            }
            float dm = dmin * s.m[j];
            for (int l = 0; l < 32; l++) {
                int q = Blocks.nearestInt((x[32 * j + l] + dm) / dj);
                s.levels[32 * j + l] = Blocks.clamp(q, 0, nmax);
            }
        }
    }

    /**
     * ggml's make_qkx2_quants(n, nmax, x, weights, L, &amp;the_min, Laux, rmin, rdelta, nstep, useMad):
     * fits x ~ scale * q + min with q in 0..nmax and min &lt;= 0, trying the plain min-max grid and
     * nstep + 1 stretched ones, each refined by weighted least squares and judged by weighted
     * squared (or, with {@code useMad}, absolute) error. Writes the levels to {@code levels[xo ..]},
     * stores -min in {@code mins[slot]} and returns the scale.
     */
    static float fitScaleAndMin(float[] x, int xo, int n, float[] w, int[] levels, int[] aux, float[] mins, int slot,
                                int nmax, float rmin, float rdelta, int nstep, boolean useMad) {
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
            bestError += w[i] * (useMad ? Math.abs(diff) : diff * diff);
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
                    error += w[i] * (useMad ? Math.abs(diff) : diff * diff);
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
