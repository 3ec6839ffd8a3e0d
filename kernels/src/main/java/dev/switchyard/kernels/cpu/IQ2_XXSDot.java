package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.L;
import static dev.switchyard.kernels.cpu.Vec.PARTS;

import dev.switchyard.kernels.format.GgmlType;
import dev.switchyard.kernels.format.IQGrid;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * IQ2_XXS rows (66-byte super-blocks of 256: f16 d, then per block of 32 four grid indices and a
 * word of 7-bit signs and a 4-bit scale; see IQ2_XXSCodec). Each half-block is two grid points
 * with their signs applied, as floats from the grid's float copy (see {@link IQLanes}), scaled by
 * the block's {@code d * (0.5 + s) * 0.25}, computed as the codec computes it.
 */
final class IQ2_XXSDot extends GridDot {

    private static final int BLOCK_BYTES = 66;
    private static final long[] GRID = IQGrid.IQ2_XXS.packedTable();
    private static final float[] POINTS = IQLanes.floats(IQGrid.IQ2_XXS);

    @Override
    GgmlType type() {
        return GgmlType.IQ2_XXS;
    }

    @Override
    int blockBytes() {
        return BLOCK_BYTES;
    }

    private static int aux(MemorySegment w, long o, int ib) {
        return w.get(Vec.LE_INT, o + 6 + 8 * ib);
    }

    private static float scale(float d, int aux) {
        return d * (0.5f + (aux >>> 28)) * 0.25f;
    }

    /** Group l of block ib, signed bytes (for the scalar twin). */
    private static long group(MemorySegment w, long o, int ib, int aux, int l) {
        return IQLanes.signed(GRID[entry(indices(w, o, ib), l)], IQGrid.evenSigns(seven(aux, l)));
    }

    private static int indices(MemorySegment w, long o, int ib) {
        return w.get(Vec.LE_INT, o + 2 + 8 * ib);
    }

    /** Grid entry of group l, from the block's four index bytes. */
    private static int entry(int indices, int l) {
        return (indices >>> (8 * l)) & 0xFF;
    }

    /** The seven stored sign bits of group l, from the block's aux word. */
    private static int seven(int aux, int l) {
        return (aux >>> (7 * l)) & 127;
    }

    @Override
    long groupAt(MemorySegment w, long o, int g) {
        return group(w, o, g >> 2, aux(w, o, g >> 2), g & 3);
    }

    @Override
    float groupScale(MemorySegment w, long o, int g) {
        return scale(Vec.f16(w, o), aux(w, o, g >> 2));
    }

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o);
            for (int ib = 0; ib < 8; ib++) {
                int aux = aux(w, o, ib);
                int q = indices(w, o, ib);
                FloatVector db = FloatVector.broadcast(F, scale(d, aux));
                for (int h = 0; h < 2; h++) {
                    int ea = entry(q, 2 * h);
                    int sa = seven(aux, 2 * h);
                    int eb = entry(q, 2 * h + 1);
                    int sb = seven(aux, 2 * h + 1);
                    int k = xo + b * QK + 32 * ib + 16 * h;
                    for (int p = 0; p < PARTS; p++) {
                        acc = IQLanes.part(POINTS, IQLanes.EVEN_SIGNS, ea, sa, eb, sb, p).mul(db)
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
            for (int ib = 0; ib < 8; ib++) {
                int aux = aux(w, o, ib);
                int q = indices(w, o, ib);
                FloatVector s = FloatVector.broadcast(F, scale(d, aux));
                for (int h = 0; h < 2; h++) {
                    int ea = entry(q, 2 * h);
                    int sa = seven(aux, 2 * h);
                    int eb = entry(q, 2 * h + 1);
                    int sb = seven(aux, 2 * h + 1);
                    int k = xo + b * QK + 32 * ib + 16 * h;
                    for (int p = 0; p < PARTS; p++) {
                        FloatVector v = IQLanes.partOfSums(POINTS, GRID, IQLanes.EVEN_SIGNS, ea, sa, eb, sb, p).mul(s);
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
            for (int ib = 0; ib < 8; ib++) {
                int aux = aux(w, o, ib);
                int q = indices(w, o, ib);
                FloatVector db = FloatVector.broadcast(F, scale(d, aux));
                for (int h = 0; h < 2; h++) {
                    int ea = entry(q, 2 * h);
                    int sa = seven(aux, 2 * h);
                    int eb = entry(q, 2 * h + 1);
                    int sb = seven(aux, 2 * h + 1);
                    int k = dstOff + (16 * b + 2 * ib + h) * unit;
                    for (int p = 0; p < PARTS; p++) {
                        IQLanes.part(POINTS, IQLanes.EVEN_SIGNS, ea, sa, eb, sb, p).mul(db)
                                .intoArray(dst, k + p * stride);
                    }
                }
            }
        }
    }
}
