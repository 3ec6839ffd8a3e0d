package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * IQ3_S: super-blocks of 256 values in 8 blocks of 32, 110 bytes (3.44 bits per value). Each group
 * of eight values is two points of {@link IQGrid#IQ3_S} (9-bit indices, four magnitudes each) with
 * eight sign bits; each block has a 4-bit scale against one f16 d.
 *
 * <pre>
 * offset  size  field
 *      0     2  d          f16 super-scale
 *      2    64  qs         block ib at 2 + 8 ib: low eight bits of group l's two indices in bytes
 *                          2 l, 2 l + 1
 *     66     8  qh[8]      block ib: bit 2 l (first point) and 2 l + 1 (second) are the ninth bits
 *     74    32  signs[32]  group 4 ib + l's sign bits, bit j for value j
 *    106     4  scales[4]  block ib's scale s in nibble ib % 2 of byte ib / 2
 * value j = d * (1 + 2 s) * grid[j] * (-1 if sign bit j)
 * </pre>
 *
 * <p>Decoding follows dequantize_row_iq3_s. The quantizer is {@link SignedGridQuantizer}.
 */
public final class IQ3_SCodec implements TensorCodec {

    private static final int QK_K = 256;
    private static final int BLOCK_BYTES = 110;
    private static final int QS = 2;
    private static final int QH = 66;
    private static final int SIGNS = 74;
    private static final int SCALES = 106;
    private static final IQGrid GRID = IQGrid.IQ3_S;
    private static final SignedGridQuantizer QUANTIZER =
            new SignedGridQuantizer(GgmlType.IQ3_S, GRID, 32, false, IQ3_SCodec::blockScale);

    @Override
    public GgmlType type() {
        return GgmlType.IQ3_S;
    }

    /** Scale code s's multiplier of d, computed as ggml computes it. */
    static float blockScale(float d, int s) {
        return d * (1 + 2 * s);
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.IQ3_S, n);
        for (int b = 0; b < n / QK_K; b++) {
            long block = srcOffset + (long) b * BLOCK_BYTES;
            float d = Blocks.f16(src, block);
            for (int ib = 0; ib < 8; ib++) {
                float db = blockScale(d, (Blocks.u8(src, block + SCALES + ib / 2) >>> (4 * (ib % 2))) & 0x0F);
                int qh = Blocks.u8(src, block + QH + ib);
                for (int l = 0; l < 4; l++) {
                    long q = block + QS + 8 * ib + 2 * l;
                    int signs = Blocks.u8(src, block + SIGNS + 4 * ib + l);
                    int y = dstOffset + b * QK_K + 32 * ib + 8 * l;
                    GRID.decodeSigned(Blocks.u8(src, q) | ((qh << (8 - 2 * l)) & 256), signs, 0, db, dst, y);
                    GRID.decodeSigned(Blocks.u8(src, q + 1) | ((qh << (7 - 2 * l)) & 256), signs, 4, db, dst, y + 4);
                }
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        QUANTIZER.quantize(src, srcOffset, dst, dstOffset, n, (out, block, ib, code, points, signs) -> {
            int high = 0;
            for (int p = 0; p < 8; p++) {
                Blocks.putByte(out, block + QS + 8 * ib + p, points[p] & 0xFF);
                high |= (points[p] >>> 8) << p;
            }
            Blocks.putByte(out, block + QH + ib, high);
            for (int l = 0; l < 4; l++) {
                Blocks.putByte(out, block + SIGNS + 4 * ib + l, signs[4 * ib + l]);
            }
            Blocks.putNibble(out, block + SCALES + ib / 2, ib % 2 == 1, code);
        });
    }
}
