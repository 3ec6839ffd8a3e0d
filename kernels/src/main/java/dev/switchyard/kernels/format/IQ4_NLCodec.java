package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * IQ4_NL: blocks of 32 values sharing one scale, 18 bytes (4.5 bits per value), each value a 4-bit
 * index into {@link IQ4Quants#VALUES}.
 *
 * <pre>
 * offset  size  field
 *      0     2  d       f16 scale
 *      2    16  qs[16]  index j (0..15) in the low nibble of qs[j], index j+16 in its high nibble;
 *                       x = d * VALUES[index]
 * </pre>
 *
 * <p>llama.cpp writes it where a Q2_K or Q3_K file's tensor has rows that are not whole 256-value
 * super-blocks. The quantizer is quantize_row_iq4_nl_ref ({@link IQ4Quants#quantize} with no grid
 * search); decoding is dequantize_row_iq4_nl's {@code d * VALUES[index]}. Inputs are first made
 * finite (see {@link Blocks#copyFinite}).
 */
public final class IQ4_NLCodec implements TensorCodec {

    private static final int QK = 32;
    private static final int BLOCK_BYTES = 18;
    private static final float LIMIT = Blocks.F16_MAX * 127f;

    @Override
    public GgmlType type() {
        return GgmlType.IQ4_NL;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.IQ4_NL, n);
        Blocks.dequantizeNibbleBlocks(src, srcOffset, dst, dstOffset, n / QK, IQ4Quants.VALUES);
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        Blocks.requireWholeBlocks(GgmlType.IQ4_NL, n);
        float[] x = new float[QK];
        int[] levels = new int[QK];
        float[] scales = new float[1];
        float[] weights = new float[QK];
        for (int b = 0; b < n / QK; b++) {
            Blocks.copyFinite(src, srcOffset + b * QK, x, QK, LIMIT);
            long block = dstOffset + (long) b * BLOCK_BYTES;
            IQ4Quants.quantize(x, 0, QK, levels, scales, weights, -1, dst, block, -1, -1, block + 2);
        }
    }
}
