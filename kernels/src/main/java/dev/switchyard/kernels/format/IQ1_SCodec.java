package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * IQ1_S: super-blocks of 256 values in 8 blocks of 32, 50 bytes (1.56 bits per value). Each group
 * of eight values is a point of {@link IQGrid#IQ1_S} (an 11-bit index, values -1, 0, 1) shifted by
 * an eighth up or down, the shift and a 3-bit scale shared by the block, against one f16 d.
 *
 * <pre>
 * offset  size  field
 *      0     2  d       f16 super-scale
 *      2    32  qs[32]  low eight bits of group g's index (g = 4 ib + l)
 *     34    16  qh[8]   little-endian u16 per block ib: bits 3 l .. 3 l + 2 the top three bits of
 *                       group l's index, bits 12..14 the scale s, bit 15 the shift's sign
 * value j = d * (2 s + 1) * (grid[j] + (bit 15 ? -0.125 : 0.125))
 * </pre>
 *
 * <p>Decoding follows dequantize_row_iq1_s. The quantizer searches scales and both shifts per
 * block ({@link IQQuantizer}): valid files, not ggml's bytes.
 */
public final class IQ1_SCodec implements TensorCodec {

    private static final int QK_K = 256;
    private static final int BLOCK_BYTES = 50;
    private static final int QS = 2;
    private static final int QH = 34;
    private static final IQGrid GRID = IQGrid.IQ1_S;
    private static final float LIMIT = Blocks.F16_MAX * 15f * (1f + IQQuantizer.IQ1_DELTA);

    @Override
    public GgmlType type() {
        return GgmlType.IQ1_S;
    }

    /** Scale code s's multiplier of d (both IQ1 formats), computed as ggml computes it. */
    static float blockScale(float d, int s) {
        return d * (2 * s + 1);
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.IQ1_S, n);
        for (int b = 0; b < n / QK_K; b++) {
            long block = srcOffset + (long) b * BLOCK_BYTES;
            float d = Blocks.f16(src, block);
            for (int ib = 0; ib < 8; ib++) {
                int qh = Blocks.u16(src, block + QH + 2 * ib);
                float dl = blockScale(d, (qh >>> 12) & 7);
                float delta = (qh & 0x8000) != 0 ? -IQQuantizer.IQ1_DELTA : IQQuantizer.IQ1_DELTA;
                for (int l = 0; l < 4; l++) {
                    int index = Blocks.u8(src, block + QS + 4 * ib + l) | (((qh >>> (3 * l)) & 7) << 8);
                    GRID.decodeShifted(index, delta, dl, dst, dstOffset + b * QK_K + 32 * ib + 8 * l);
                }
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.IQ1_S, n);
        float[] x = new float[QK_K];
        float[] scales = new float[8];
        int[] shifts = new int[8];
        int[] idx = new int[4];
        int[] negative = new int[4];
        float[] t = new float[8];
        for (int b = 0; b < n / QK_K; b++) {
            Blocks.copyFinite(src, srcOffset + b * QK_K, x, QK_K, LIMIT);
            long block = dstOffset + (long) b * BLOCK_BYTES;
            for (int ib = 0; ib < 8; ib++) {
                float bestErr = Float.POSITIVE_INFINITY;
                for (int shift = -1; shift <= 1; shift += 2) {
                    float s = IQQuantizer.bestShiftedScale(x, 32 * ib, 32, shift, idx, negative, t);
                    float err = IQQuantizer.encodeShifted(x, 32 * ib, 32, s, shift, idx, negative, t);
                    if (err < bestErr) {
                        bestErr = err;
                        scales[ib] = s;
                        shifts[ib] = shift;
                    }
                }
            }
            float d = Blocks.putScale(dst, block, IQQuantizer.max(scales, 8) / blockScale(1f, 7));
            for (int ib = 0; ib < 8; ib++) {
                int off = 32 * ib;
                int shift = shifts[ib];
                int code = d == 0f ? 0 : IQQuantizer.bestCode(d, scales[ib], 7, IQ1_SCodec::blockScale,
                        s -> IQQuantizer.encodeShifted(x, off, 32, s, shift, idx, negative, t));
                IQQuantizer.encodeShifted(x, off, 32, blockScale(d, code), shift, idx, negative, t);
                int qh = code << 12 | (shift < 0 ? 0x8000 : 0);
                for (int l = 0; l < 4; l++) {
                    Blocks.putByte(dst, block + QS + 4 * ib + l, idx[l] & 0xFF);
                    qh |= (idx[l] >>> 8) << (3 * l);
                }
                Blocks.putShort(dst, block + QH + 2 * ib, qh);
            }
        }
    }
}
