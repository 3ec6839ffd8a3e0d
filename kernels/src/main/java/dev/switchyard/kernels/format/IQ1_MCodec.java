package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * IQ1_M: super-blocks of 256 values, 56 bytes (1.75 bits per value). Each group of eight values is
 * a point of {@link IQGrid#IQ1_S} shifted by an eighth up or down (a shift per group); each
 * half-block of 16 has a 3-bit scale; the f16 d has no field of its own but sits in the top nibbles
 * of the four scale words.
 *
 * <pre>
 * offset  size  field
 *      0    32  qs[32]     low eight bits of group g's index (g = 4 ib + l)
 *     32    16  qh[16]     byte g / 2, nibble g % 2: bits 0..2 the top three bits of group g's
 *                          index, bit 3 the shift's sign
 *     48     8  sc[4]      little-endian u16; sc[ib / 2] bits 6 (ib % 2) .. + 2 the scale of
 *                          groups 0, 1 of block ib, the next three bits that of groups 2, 3; bits
 *                          12..15 of sc[k] are bits 4 k .. 4 k + 3 of d
 * value j = d * (2 s + 1) * (grid[j] + (shift bit ? -0.125 : 0.125))
 * </pre>
 *
 * <p>Decoding follows dequantize_row_iq1_m. The quantizer searches scales and each group's shift
 * ({@link IQQuantizer}): valid files, not ggml's bytes.
 */
public final class IQ1_MCodec implements TensorCodec {

    private static final int QK_K = 256;
    private static final int BLOCK_BYTES = 56;
    private static final int QH = 32;
    private static final int SC = 48;
    private static final IQGrid GRID = IQGrid.IQ1_S;
    private static final float LIMIT = Blocks.F16_MAX * 15f * (1f + IQQuantizer.IQ1_DELTA);

    @Override
    public GgmlType type() {
        return GgmlType.IQ1_M;
    }

    /** The super-block's d, gathered from the top nibbles of the scale words. */
    static float superScale(MemorySegment src, long block) {
        int bits = 0;
        for (int k = 0; k < 4; k++) {
            bits |= (Blocks.u16(src, block + SC + 2 * k) >>> 12) << (4 * k);
        }
        return Float.float16ToFloat((short) bits);
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.IQ1_M, n);
        for (int b = 0; b < n / QK_K; b++) {
            long block = srcOffset + (long) b * BLOCK_BYTES;
            float d = superScale(src, block);
            for (int ib = 0; ib < 8; ib++) {
                int sc = Blocks.u16(src, block + SC + 2 * (ib / 2));
                for (int l = 0; l < 4; l++) {
                    int g = 4 * ib + l;
                    float dl = IQ1_SCodec.blockScale(d, (sc >>> (6 * (ib % 2) + 3 * (l / 2))) & 7);
                    int qh = Blocks.u8(src, block + QH + g / 2) >>> (4 * (g % 2));
                    int index = Blocks.u8(src, block + g) | ((qh & 7) << 8);
                    float delta = (qh & 8) != 0 ? -IQQuantizer.IQ1_DELTA : IQQuantizer.IQ1_DELTA;
                    GRID.decodeShifted(index, delta, dl, dst, dstOffset + b * QK_K + 8 * g);
                }
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.IQ1_M, n);
        float[] x = new float[QK_K];
        float[] scales = new float[16];
        int[] idx = new int[2];
        int[] negative = new int[2];
        float[] t = new float[8];
        int[] sc = new int[4];
        for (int b = 0; b < n / QK_K; b++) {
            Blocks.copyFinite(src, srcOffset + b * QK_K, x, QK_K, LIMIT);
            long block = dstOffset + (long) b * BLOCK_BYTES;
            for (int h = 0; h < 16; h++) {
                scales[h] = IQQuantizer.bestShiftedScale(x, 16 * h, 16, 0, idx, negative, t);
            }
            float wanted = IQQuantizer.max(scales, 16) / IQ1_SCodec.blockScale(1f, 7);
            short half = Float.floatToFloat16(Math.min(Blocks.F16_MAX, wanted));
            float d = Float.float16ToFloat(half);
            java.util.Arrays.fill(sc, 0);
            for (int h = 0; h < 16; h++) {
                int off = 16 * h;
                int code = d == 0f ? 0 : IQQuantizer.bestCode(d, scales[h], 7, IQ1_SCodec::blockScale,
                        s -> IQQuantizer.encodeShifted(x, off, 16, s, 0, idx, negative, t));
                IQQuantizer.encodeShifted(x, off, 16, IQ1_SCodec.blockScale(d, code), 0, idx, negative, t);
                // Scale block h is half h % 2 of block h / 2: bits 6 (ib % 2) + 3 (h % 2) of sc[ib / 2].
                int ib = h / 2;
                sc[ib / 2] |= code << (6 * (ib % 2) + 3 * (h % 2));
                int qh = 0;
                for (int p = 0; p < 2; p++) {
                    Blocks.putByte(dst, block + 2 * h + p, idx[p] & 0xFF);
                    qh |= ((idx[p] >>> 8) | negative[p] << 3) << (4 * p);
                }
                Blocks.putByte(dst, block + QH + h, qh);
            }
            for (int k = 0; k < 4; k++) {
                Blocks.putShort(dst, block + SC + 2 * k, sc[k] | ((half >>> (4 * k)) & 0x0F) << 12);
            }
        }
    }
}
