package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * Q8_0: blocks of 32 values sharing one scale, 34 bytes (8.5 bits per value).
 *
 * <pre>
 * offset  size  field
 *      0     2  d       f16 scale
 *      2    32  qs[32]  int8 quants; x = d * q
 * </pre>
 *
 * <p>The quantizer is ggml's quantize_row_q8_0_ref step for step (d = amax / 127, q = roundf(x / d)
 * with the reciprocal taken from the unrounded d), so a tensor we write is byte-identical to the
 * one llama.cpp's reference path writes. Inputs are first made finite (see
 * {@link Blocks#copyFinite}), which only changes blocks ggml would have filled with NaN.
 */
public final class Q8_0Codec implements TensorCodec {

    private static final int QK = 32;
    private static final int BLOCK_BYTES = 34;
    private static final float LIMIT = Blocks.F16_MAX * 127f;

    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.Q8_0, n);
        for (int b = 0; b < n / QK; b++) {
            long block = srcOffset + (long) b * BLOCK_BYTES;
            float d = Blocks.f16(src, block);
            int out = dstOffset + b * QK;
            for (int j = 0; j < QK; j++) {
                dst[out + j] = Blocks.i8(src, block + 2 + j) * d;
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.Q8_0, n);
        float[] x = new float[QK];
        for (int b = 0; b < n / QK; b++) {
            Blocks.copyFinite(src, srcOffset + b * QK, x, QK, LIMIT);
            long block = dstOffset + (long) b * BLOCK_BYTES;

            float amax = 0f;
            for (int j = 0; j < QK; j++) {
                amax = Math.max(amax, Math.abs(x[j]));
            }
            float d = amax / 127f;
            float id = d != 0f ? 1f / d : 0f;
            Blocks.putScale(dst, block, d);
            for (int j = 0; j < QK; j++) {
                Blocks.putByte(dst, block + 2 + j, Blocks.clamp(Blocks.roundHalfAway(x[j] * id), -127, 127));
            }
        }
    }
}
