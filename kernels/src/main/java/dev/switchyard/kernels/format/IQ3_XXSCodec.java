package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * IQ3_XXS: super-blocks of 256 values in 8 blocks of 32, 98 bytes (3.06 bits per value). Each group
 * of eight values is two points of {@link IQGrid#IQ3_XXS} (four magnitudes each) with seven sign
 * bits (the eighth makes the count of negatives even); each block has a 4-bit scale against one
 * f16 d.
 *
 * <pre>
 * offset  size  field
 *      0     2  d       f16 super-scale
 *      2    64  qs      block ib at 2 + 8 ib: group l's two grid indices in bytes 2 l, 2 l + 1
 *     66    32  aux     block ib at 66 + 4 ib: little-endian u32, group l's sign bits at
 *                       7 l .. 7 l + 6 and the block's scale s in bits 28..31
 * value j = d * (0.5 + s) * 0.5 * grid[j] * (-1 if sign bit j)
 * </pre>
 *
 * <p>Decoding follows dequantize_row_iq3_xxs. The quantizer is {@link SignedGridQuantizer}.
 */
public final class IQ3_XXSCodec implements TensorCodec {

    private static final int QK_K = 256;
    private static final int BLOCK_BYTES = 98;
    private static final int QS = 2;
    private static final int AUX = 66;
    private static final IQGrid GRID = IQGrid.IQ3_XXS;
    private static final SignedGridQuantizer QUANTIZER =
            new SignedGridQuantizer(GgmlType.IQ3_XXS, GRID, 32, true, IQ3_XXSCodec::blockScale);

    @Override
    public GgmlType type() {
        return GgmlType.IQ3_XXS;
    }

    /** Scale code s's multiplier of d, computed as ggml computes it. */
    static float blockScale(float d, int s) {
        return d * (0.5f + s) * 0.5f;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.IQ3_XXS, n);
        for (int b = 0; b < n / QK_K; b++) {
            long block = srcOffset + (long) b * BLOCK_BYTES;
            float d = Blocks.f16(src, block);
            for (int ib = 0; ib < 8; ib++) {
                int aux = Blocks.u32(src, block + AUX + 4 * ib);
                float db = blockScale(d, aux >>> 28);
                for (int l = 0; l < 4; l++) {
                    int signs = IQGrid.evenSigns((aux >>> (7 * l)) & 127);
                    long q = block + QS + 8 * ib + 2 * l;
                    int y = dstOffset + b * QK_K + 32 * ib + 8 * l;
                    GRID.decodeSigned(Blocks.u8(src, q), signs, 0, db, dst, y);
                    GRID.decodeSigned(Blocks.u8(src, q + 1), signs, 4, db, dst, y + 4);
                }
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        QUANTIZER.quantize(src, srcOffset, dst, dstOffset, n, (out, block, ib, code, points, signs) -> {
            int aux = code << 28;
            for (int p = 0; p < 8; p++) {
                Blocks.putByte(out, block + QS + 8 * ib + p, points[p]);
            }
            for (int l = 0; l < 4; l++) {
                aux |= (signs[4 * ib + l] & 127) << (7 * l);
            }
            Blocks.putU32(out, block + AUX + 4 * ib, aux);
        });
    }
}
