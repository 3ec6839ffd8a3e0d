package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * The quantizer of the IQ2 and IQ3 formats, whose values are grid magnitudes with a sign each:
 * per super-block of 256, signs per group of eight, the best scale of each scale block, an f16 d
 * over the largest, then each block's 4-bit scale code and points, handed to the format's
 * {@link BlockWriter} to lay out. Holds no state between calls.
 */
final class SignedGridQuantizer {

    private static final int QK_K = 256;
    private static final int MAX_CODE = 15;

    /** Lays out one scale block: its code, its points (in order) and the super-block's sign bytes. */
    @FunctionalInterface
    interface BlockWriter {
        void write(MemorySegment dst, long block, int scaleBlock, int code, int[] points, int[] signs);
    }

    private final GgmlType type;
    private final IQGrid grid;
    private final int scaleBlock;
    private final boolean evenCount;
    private final IQQuantizer.ScaleRule rule;
    private final float limit;

    /**
     * @param scaleBlock values per 4-bit scale (32 or 16)
     * @param evenCount  whether the format stores seven sign bits and implies the eighth
     */
    SignedGridQuantizer(GgmlType type, IQGrid grid, int scaleBlock, boolean evenCount, IQQuantizer.ScaleRule rule) {
        this.type = type;
        this.grid = grid;
        this.scaleBlock = scaleBlock;
        this.evenCount = evenCount;
        this.rule = rule;
        // The largest magnitude the format can express: everything beyond it saturates.
        this.limit = Blocks.F16_MAX * rule.multiplier(1f, MAX_CODE) * grid.maxLevel();
    }

    void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n, BlockWriter writer) {
        Blocks.requireWholeBlocks(type, n);
        int blocks = QK_K / scaleBlock;
        float[] x = new float[QK_K];
        float[] a = new float[QK_K];
        int[] signs = new int[QK_K / 8];
        float[] scales = new float[blocks];
        int[] points = new int[scaleBlock / grid.dim()];
        float[] t = new float[grid.dim()];
        for (int b = 0; b < n / QK_K; b++) {
            Blocks.copyFinite(src, srcOffset + b * QK_K, x, QK_K, limit);
            long block = dstOffset + (long) b * type.typeSize();
            for (int g = 0; g < QK_K / 8; g++) {
                signs[g] = IQQuantizer.signs(x, a, 8 * g, evenCount);
            }
            for (int ib = 0; ib < blocks; ib++) {
                scales[ib] = IQQuantizer.bestScale(grid, a, scaleBlock * ib, scaleBlock, points, t);
            }
            float d = Blocks.putScale(dst, block, IQQuantizer.max(scales, blocks) / rule.multiplier(1f, MAX_CODE));
            for (int ib = 0; ib < blocks; ib++) {
                int off = scaleBlock * ib;
                int code = d == 0f ? 0 : IQQuantizer.bestCode(d, scales[ib], MAX_CODE, rule,
                        s -> IQQuantizer.encode(grid, a, off, scaleBlock, s, points, t));
                IQQuantizer.encode(grid, a, off, scaleBlock, rule.multiplier(d, code), points, t);
                writer.write(dst, block, ib, code, points, signs);
            }
        }
    }
}
