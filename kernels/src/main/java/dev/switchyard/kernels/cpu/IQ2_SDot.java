package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.L;
import static dev.switchyard.kernels.cpu.Vec.PARTS;

import dev.switchyard.kernels.format.GgmlType;
import dev.switchyard.kernels.format.IQGrid;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;

/**
 * IQ2_S rows (82-byte super-blocks of 256: f16 d, per group of eight the low eight bits of a
 * 10-bit grid index and a sign byte, two index bits per group in qh, a 4-bit scale per half-block;
 * see IQ2_SCodec). Each block's four index bytes, four sign bytes, qh and scales are read once;
 * each half-block is two signed grid points (see {@link IQLanes#part}), scaled by its
 * {@code d * (0.5 + s) * 0.25}.
 */
final class IQ2_SDot extends GridDot {

    private static final int BLOCK_BYTES = 82;
    private static final int QS = 2;
    private static final int SIGNS = 34;
    private static final int QH = 66;
    private static final int SCALES = 74;
    private static final long[] GRID = IQGrid.IQ2_S.packedTable();
    private static final float[] POINTS = IQLanes.floats(IQGrid.IQ2_S);

    @Override
    GgmlType type() {
        return GgmlType.IQ2_S;
    }

    @Override
    int blockBytes() {
        return BLOCK_BYTES;
    }

    private static int u8(MemorySegment w, long o) {
        return Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o));
    }

    /** Half h's scale from block ib's scale byte. */
    private static float scale(float d, int scales, int h) {
        return d * (0.5f + ((scales >>> (4 * h)) & 0x0F)) * 0.25f;
    }

    /** Grid entry of group l of a block, from the block's index bytes and qh. */
    private static int entry(int qs, int qh, int l) {
        return ((qs >>> (8 * l)) & 0xFF) | ((qh << (8 - 2 * l)) & 0x300);
    }

    /** Sign byte of group l of a block. */
    private static int signs(int signs, int l) {
        return (signs >>> (8 * l)) & 0xFF;
    }

    /** Group l of a block, signed bytes (for the scalar twin). */
    private static long group(int qs, int signs, int qh, int l) {
        return IQLanes.signed(GRID[entry(qs, qh, l)], signs(signs, l));
    }

    @Override
    long groupAt(MemorySegment w, long o, int g) {
        int ib = g >> 2;
        return group(w.get(Vec.LE_INT, o + QS + 4 * ib), w.get(Vec.LE_INT, o + SIGNS + 4 * ib), u8(w, o + QH + ib), g & 3);
    }

    @Override
    float groupScale(MemorySegment w, long o, int g) {
        return scale(Vec.f16(w, o), u8(w, o + SCALES + (g >> 2)), (g >> 1) & 1);
    }

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o);
            long qhs = w.get(Vec.LE_LONG, o + QH);
            long scaleBytes = w.get(Vec.LE_LONG, o + SCALES);
            for (int ib = 0; ib < 8; ib++) {
                int qs = w.get(Vec.LE_INT, o + QS + 4 * ib);
                int signs = w.get(Vec.LE_INT, o + SIGNS + 4 * ib);
                int qh = (int) (qhs >>> (8 * ib)) & 0xFF;
                int scales = (int) (scaleBytes >>> (8 * ib)) & 0xFF;
                for (int h = 0; h < 2; h++) {
                    int ea = entry(qs, qh, 2 * h);
                    int sa = signs(signs, 2 * h);
                    int eb = entry(qs, qh, 2 * h + 1);
                    int sb = signs(signs, 2 * h + 1);
                    FloatVector s = FloatVector.broadcast(F, scale(d, scales, h));
                    int k = xo + b * QK + 32 * ib + 16 * h;
                    for (int p = 0; p < PARTS; p++) {
                        acc = IQLanes.part(POINTS, IQLanes.SIGNS, ea, sa, eb, sb, p).mul(s)
                                .fma(FloatVector.fromArray(F, x, k + p * L), acc);
                    }
                }
            }
        }
        return hsum(acc);
    }

    /** Each half-block decoded once, folded into the four sums in dot's order. */
    @Override
    void dots(MemorySegment w, long off, float[] x, int xo, int d1, int d2, int d3, int n, float[] out, int oo, int os) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o);
            long qhs = w.get(Vec.LE_LONG, o + QH);
            long scaleBytes = w.get(Vec.LE_LONG, o + SCALES);
            for (int ib = 0; ib < 8; ib++) {
                int qs = w.get(Vec.LE_INT, o + QS + 4 * ib);
                int signs = w.get(Vec.LE_INT, o + SIGNS + 4 * ib);
                int qh = (int) (qhs >>> (8 * ib)) & 0xFF;
                int scales = (int) (scaleBytes >>> (8 * ib)) & 0xFF;
                for (int h = 0; h < 2; h++) {
                    int ea = entry(qs, qh, 2 * h);
                    int sa = signs(signs, 2 * h);
                    int eb = entry(qs, qh, 2 * h + 1);
                    int sb = signs(signs, 2 * h + 1);
                    FloatVector s = FloatVector.broadcast(F, scale(d, scales, h));
                    int k = xo + b * QK + 32 * ib + 16 * h;
                    for (int p = 0; p < PARTS; p++) {
                        FloatVector v = IQLanes.partOfSums(POINTS, GRID, IQLanes.SIGNS, ea, sa, eb, sb, p).mul(s);
                        int kp = k + p * L;
                        a0 = v.fma(FloatVector.fromArray(F, x, kp), a0);
                        a1 = v.fma(FloatVector.fromArray(F, x, kp + d1), a1);
                        a2 = v.fma(FloatVector.fromArray(F, x, kp + d2), a2);
                        a3 = v.fma(FloatVector.fromArray(F, x, kp + d3), a3);
                    }
                }
            }
        }
        for (int t = 0; t < 4; t++) {
            out[oo + t * os] = hsum(t == 0 ? a0 : t == 1 ? a1 : t == 2 ? a2 : a3);
        }
    }

    @Override
    void decodeChunks(MemorySegment w, long off, float[] dst, int dstOff, int stride, int n) {
        int unit = PARTS * stride;
        for (int b = 0; b < n / QK; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o);
            long qhs = w.get(Vec.LE_LONG, o + QH);
            long scaleBytes = w.get(Vec.LE_LONG, o + SCALES);
            for (int ib = 0; ib < 8; ib++) {
                int qs = w.get(Vec.LE_INT, o + QS + 4 * ib);
                int signs = w.get(Vec.LE_INT, o + SIGNS + 4 * ib);
                int qh = (int) (qhs >>> (8 * ib)) & 0xFF;
                int scales = (int) (scaleBytes >>> (8 * ib)) & 0xFF;
                for (int h = 0; h < 2; h++) {
                    int ea = entry(qs, qh, 2 * h);
                    int sa = signs(signs, 2 * h);
                    int eb = entry(qs, qh, 2 * h + 1);
                    int sb = signs(signs, 2 * h + 1);
                    FloatVector s = FloatVector.broadcast(F, scale(d, scales, h));
                    int k = dstOff + (16 * b + 2 * ib + h) * unit;
                    for (int p = 0; p < PARTS; p++) {
                        IQLanes.part(POINTS, IQLanes.SIGNS, ea, sa, eb, sb, p).mul(s)
                                .intoArray(dst, k + p * stride);
                    }
                }
            }
        }
    }
}
