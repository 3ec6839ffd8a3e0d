package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * IQ2_S: super-blocks of 256 values, 82 bytes (2.56 bits per value). Each group of eight values is
 * a point of {@link IQGrid#IQ2_S} (a 10-bit index) with eight sign bits; each half-block of 16 has
 * a 4-bit scale against one f16 d.
 *
 * <pre>
 * offset  size  field
 *      0     2  d          f16 super-scale
 *      2    32  qs[32]     low eight bits of group g's grid index (g = 4 ib + l)
 *     34    32  signs[32]  group g's sign bits, bit j for value j
 *     66     8  qh[8]      block ib: bits 2 l, 2 l + 1 are the top two bits of group l's index
 *     74     8  scales[8]  block ib: groups 0, 1 take the low nibble, groups 2, 3 the high one
 * value j = d * (0.5 + s) * 0.25 * grid[j] * (-1 if sign bit j)
 * </pre>
 *
 * <p>Decoding follows dequantize_row_iq2_s. The quantizer is {@link SignedGridQuantizer}.
 */
public final class IQ2_SCodec implements TensorCodec {

    private static final int QK_K = 256;
    private static final int BLOCK_BYTES = 82;
    private static final int QS = 2;
    private static final int SIGNS = 34;
    private static final int QH = 66;
    private static final int SCALES = 74;
    private static final IQGrid GRID = IQGrid.IQ2_S;
    private static final SignedGridQuantizer QUANTIZER =
            new SignedGridQuantizer(GgmlType.IQ2_S, GRID, 16, false, IQ2_XXSCodec::blockScale);

    @Override
    public GgmlType type() {
        return GgmlType.IQ2_S;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.IQ2_S, n);
        for (int b = 0; b < n / QK_K; b++) {
            long block = srcOffset + (long) b * BLOCK_BYTES;
            float d = Blocks.f16(src, block);
            for (int ib = 0; ib < 8; ib++) {
                int scales = Blocks.u8(src, block + SCALES + ib);
                int qh = Blocks.u8(src, block + QH + ib);
                for (int l = 0; l < 4; l++) {
                    int g = 4 * ib + l;
                    int index = Blocks.u8(src, block + QS + g) | ((qh << (8 - 2 * l)) & 0x300);
                    float db = IQ2_XXSCodec.blockScale(d, (scales >>> (4 * (l / 2))) & 0x0F);
                    GRID.decodeSigned(index, Blocks.u8(src, block + SIGNS + g), 0, db, dst,
                            dstOffset + b * QK_K + 8 * g);
                }
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        QUANTIZER.quantize(src, srcOffset, dst, dstOffset, n, (out, block, h, code, points, signs) -> {
            // Scale block h is half h % 2 of block h / 2: its groups' top index bits and its scale
            // are that half's nibble of qh and of the scale byte.
            int ib = h / 2;
            int top = 0;
            for (int p = 0; p < 2; p++) {
                int g = 2 * h + p;
                Blocks.putByte(out, block + QS + g, points[p] & 0xFF);
                Blocks.putByte(out, block + SIGNS + g, signs[g]);
                top |= (points[p] >>> 8) << (2 * p);
            }
            Blocks.putNibble(out, block + QH + ib, h % 2 == 1, top);
            Blocks.putNibble(out, block + SCALES + ib, h % 2 == 1, code);
        });
    }
}
