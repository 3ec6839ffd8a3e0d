package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * IQ2_XS: super-blocks of 256 values, 74 bytes (2.31 bits per value). Each group of eight values is
 * a point of {@link IQGrid#IQ2_XS} with seven sign bits (the eighth makes the count of negatives
 * even); each half-block of 16 has a 4-bit scale against one f16 d.
 *
 * <pre>
 * offset  size  field
 *      0     2  d          f16 super-scale
 *      2    64  qs[32]     little-endian u16 per group g (= 4 ib + l): grid index in bits 0..8,
 *                          sign bits in 9..15
 *     66     8  scales[8]  block ib: groups 0, 1 take the low nibble, groups 2, 3 the high one
 * value j = d * (0.5 + s) * 0.25 * grid[j] * (-1 if sign bit j)
 * </pre>
 *
 * <p>Decoding follows dequantize_row_iq2_xs. The quantizer is {@link SignedGridQuantizer}.
 */
public final class IQ2_XSCodec implements TensorCodec {

    private static final int QK_K = 256;
    private static final int BLOCK_BYTES = 74;
    private static final int SCALES = 66;
    private static final IQGrid GRID = IQGrid.IQ2_XS;
    private static final SignedGridQuantizer QUANTIZER =
            new SignedGridQuantizer(GgmlType.IQ2_XS, GRID, 16, true, IQ2_XXSCodec::blockScale);

    @Override
    public GgmlType type() {
        return GgmlType.IQ2_XS;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.IQ2_XS, n);
        for (int b = 0; b < n / QK_K; b++) {
            long block = srcOffset + (long) b * BLOCK_BYTES;
            float d = Blocks.f16(src, block);
            for (int ib = 0; ib < 8; ib++) {
                int scales = Blocks.u8(src, block + SCALES + ib);
                for (int l = 0; l < 4; l++) {
                    int q = Blocks.u16(src, block + 2 + 8 * ib + 2 * l);
                    float db = IQ2_XXSCodec.blockScale(d, (scales >>> (4 * (l / 2))) & 0x0F);
                    GRID.decodeSigned(q & 511, IQGrid.evenSigns(q >>> 9), 0, db, dst,
                            dstOffset + b * QK_K + 32 * ib + 8 * l);
                }
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        // Scale block h (16 values) is half h % 2 of block h / 2: groups 2 (h % 2) and 2 (h % 2) + 1.
        QUANTIZER.quantize(src, srcOffset, dst, dstOffset, n, (out, block, h, code, points, signs) -> {
            Blocks.putNibble(out, block + SCALES + h / 2, h % 2 == 1, code);
            for (int p = 0; p < 2; p++) {
                int g = 2 * h + p;
                Blocks.putShort(out, block + 2 + 2L * g, points[p] | (signs[g] & 127) << 9);
            }
        });
    }
}
