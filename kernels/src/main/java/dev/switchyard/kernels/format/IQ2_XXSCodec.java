package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * IQ2_XXS: super-blocks of 256 values in 8 blocks of 32, 66 bytes (2.06 bits per value). Each group
 * of eight values is a point of {@link IQGrid#IQ2_XXS} with seven sign bits (the eighth makes the
 * count of negatives even); each block has a 4-bit scale against one f16 d.
 *
 * <pre>
 * offset  size  field
 *      0     2  d       f16 super-scale
 *      2    64  qs      block ib at 2 + 8 ib: four bytes, the grid index of group l in byte l, then
 *                       a little-endian u32 with group l's sign bits at 7 l .. 7 l + 6 and the
 *                       block's scale s in bits 28..31
 * value j of group l = d * (0.5 + s) * 0.25 * grid[j] * (-1 if sign bit j)
 * </pre>
 *
 * <p>Decoding follows dequantize_row_iq2_xxs. The quantizer is {@link SignedGridQuantizer}: valid
 * files, not ggml's bytes.
 */
public final class IQ2_XXSCodec implements TensorCodec {

    private static final int QK_K = 256;
    private static final int BLOCK_BYTES = 66;
    private static final IQGrid GRID = IQGrid.IQ2_XXS;
    private static final SignedGridQuantizer QUANTIZER =
            new SignedGridQuantizer(GgmlType.IQ2_XXS, GRID, 32, true, IQ2_XXSCodec::blockScale);

    @Override
    public GgmlType type() {
        return GgmlType.IQ2_XXS;
    }

    /** Scale code s's multiplier of d, computed as ggml computes it (the IQ2 formats share it). */
    static float blockScale(float d, int s) {
        return d * (0.5f + s) * 0.25f;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.IQ2_XXS, n);
        for (int b = 0; b < n / QK_K; b++) {
            long block = srcOffset + (long) b * BLOCK_BYTES;
            float d = Blocks.f16(src, block);
            for (int ib = 0; ib < 8; ib++) {
                long q = block + 2 + 8 * ib;
                int aux = Blocks.u32(src, q + 4);
                float db = blockScale(d, aux >>> 28);
                for (int l = 0; l < 4; l++) {
                    GRID.decodeSigned(Blocks.u8(src, q + l), IQGrid.evenSigns((aux >>> (7 * l)) & 127), 0, db, dst,
                            dstOffset + b * QK_K + 32 * ib + 8 * l);
                }
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        QUANTIZER.quantize(src, srcOffset, dst, dstOffset, n, (out, block, ib, code, points, signs) -> {
            long q = block + 2 + 8 * ib;
            int aux = code << 28;
            for (int l = 0; l < 4; l++) {
                Blocks.putByte(out, q + l, points[l]);
                aux |= (signs[4 * ib + l] & 127) << (7 * l);
            }
            Blocks.putU32(out, q + 4, aux);
        });
    }
}
