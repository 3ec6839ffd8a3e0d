package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * What IQ4_NL and IQ4_XS share: 4-bit indices into a fixed non-linear table of sixteen levels,
 * denser near zero where weights cluster, and the quantizer, a port of ggml's
 * quantize_row_iq4_nl_impl without importance weights (each value weighted by its square).
 */
final class IQ4Quants {

    /** ggml's kvalues_iq4nl. */
    static final int[] VALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    /** ggml's GROUP_MAX_EPS: below this a block counts as all zeros. */
    private static final float GROUP_MAX_EPS = 1e-15f;

    private IQ4Quants() {
    }

    /** ggml's best_index_int8: the index of the level nearest {@code x} (the upper of two on a tie). */
    static int bestIndex(float x) {
        if (x <= VALUES[0]) {
            return 0;
        }
        if (x >= VALUES[15]) {
            return 15;
        }
        int lo = 0;
        int hi = 15;
        while (hi - lo > 1) {
            int mid = (lo + hi) / 2;
            if (x < VALUES[mid]) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        return x - VALUES[hi - 1] < VALUES[hi] - x ? hi - 1 : hi;
    }

    /**
     * quantize_row_iq4_nl_impl(size, 32, x, ...) for one super-block of {@code size} values (32 for
     * IQ4_NL, 256 for IQ4_XS): per 32-value block a scale fitted to the table (from the value of
     * largest magnitude, then, with {@code ntry} &gt; 0, 2 ntry + 1 stretched grids, keeping the best
     * weighted fit); with several blocks, their scales quantized to 6 bits against one f16 d and the
     * indices refitted to what a decoder reads. Writes d at {@code dOffset}, the packed 6-bit
     * scales (several blocks only) at {@code scalesH} (16 bits) and {@code scalesL} (a nibble per
     * block), and the index pairs at {@code qs}: byte j of block i holds indices 32 i + j (low) and
     * 32 i + 16 + j (high). {@code levels} keeps its contents from call to call, as ggml's does (a
     * block of zeros leaves its indices as the last block had them).
     */
    static void quantize(float[] x, int xo, int size, int[] levels, float[] scales, float[] weights, int ntry,
                         MemorySegment dst, long dOffset, long scalesH, long scalesL, long qs) {
        float maxScale = 0f;
        float amaxScale = 0f;
        int blocks = size / 32;
        for (int ib = 0; ib < blocks; ib++) {
            int b = xo + 32 * ib;
            for (int j = 0; j < 32; j++) {
                weights[j] = x[b + j] * x[b + j];
            }
            float amax = 0f;
            float max = 0f;
            for (int j = 0; j < 32; j++) {
                float ax = Math.abs(x[b + j]);
                if (ax > amax) {
                    amax = ax;
                    max = x[b + j];
                }
            }
            if (amax < GROUP_MAX_EPS) {
                scales[ib] = 0f;
                continue;
            }
            float d = ntry > 0 ? -max / VALUES[0] : max / VALUES[0];
            float id = 1f / d;
            float sumQX = 0f;
            float sumQ2 = 0f;
            for (int j = 0; j < 32; j++) {
                int l = bestIndex(id * x[b + j]);
                levels[32 * ib + j] = l;
                float q = VALUES[l];
                float w = weights[j];
                sumQX += w * q * x[b + j];
                sumQ2 += w * q * q;
            }
            d = sumQ2 > 0f ? sumQX / sumQ2 : 0f;
            float best = d * sumQX;
            for (int attempt = -ntry; attempt <= ntry; attempt++) {
                id = (attempt + VALUES[0]) / max;
                sumQX = 0f;
                sumQ2 = 0f;
                for (int j = 0; j < 32; j++) {
                    float q = VALUES[bestIndex(id * x[b + j])];
                    float w = weights[j];
                    sumQX += w * q * x[b + j];
                    sumQ2 += w * q * q;
                }
                if (sumQ2 > 0f && sumQX * sumQX > best * sumQ2) {
                    d = sumQX / sumQ2;
                    best = d * sumQX;
                }
            }
            scales[ib] = d;
            if (Math.abs(d) > amaxScale) {
                amaxScale = Math.abs(d);
                maxScale = d;
            }
        }

        if (blocks > 1) {
            float d = -maxScale / 32;
            Blocks.putScale(dst, dOffset, d);
            float id = d != 0f ? 1f / d : 0f;
            int high = 0;
            for (int ib = 0; ib < blocks; ib++) {
                int l = Blocks.clamp(Blocks.nearestInt(id * scales[ib]), -32, 31);
                float dl = d * l;
                float idl = dl != 0f ? 1f / dl : 0f;
                for (int j = 0; j < 32; j++) {
                    levels[32 * ib + j] = bestIndex(idl * x[xo + 32 * ib + j]);
                }
                l += 32;
                long at = scalesL + ib / 2;
                Blocks.putByte(dst, at, ib % 2 == 0 ? l & 0x0F : Blocks.u8(dst, at) | ((l & 0x0F) << 4));
                high |= (l >>> 4) << (2 * ib);
            }
            Blocks.putShort(dst, scalesH, high);
        } else {
            Blocks.putScale(dst, dOffset, scales[0]);
            if (ntry > 0) {
                float id = scales[0] != 0f ? 1f / scales[0] : 0f;
                for (int j = 0; j < size; j++) {
                    levels[j] = bestIndex(id * x[xo + j]);
                }
            }
        }
        for (int i = 0; i < blocks; i++) {
            for (int j = 0; j < 16; j++) {
                Blocks.putByte(dst, qs + 16 * i + j, levels[32 * i + j] | (levels[32 * i + 16 + j] << 4));
            }
        }
    }
}
