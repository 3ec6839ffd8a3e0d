package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.L;
import static dev.switchyard.kernels.cpu.Vec.PARTS;

import dev.switchyard.kernels.format.GgmlType;
import dev.switchyard.kernels.format.IQGrid;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * IQ3_XXS rows (98-byte super-blocks of 256: f16 d, two grid indices of four magnitudes per group
 * of eight, then per block of 32 a word of 7-bit signs and a 4-bit scale; see IQ3_XXSCodec). Each
 * block's eight index bytes are read as one long; a group's two points are joined in one long,
 * signed, and each half-block's two groups scaled by {@code d * (0.5 + s) * 0.5}.
 */
final class IQ3_XXSDot extends GridDot {

    private static final int BLOCK_BYTES = 98;
    private static final int QS = 2;
    private static final int AUX = 66;
    private static final long[] GRID = IQGrid.IQ3_XXS.packedTable();

    @Override
    GgmlType type() {
        return GgmlType.IQ3_XXS;
    }

    @Override
    int blockBytes() {
        return BLOCK_BYTES;
    }

    private static int aux(MemorySegment w, long o, int ib) {
        return w.get(Vec.LE_INT, o + AUX + 4 * ib);
    }

    /** Block ib's eight grid indices, two per group, read as one long. */
    private static long indices(MemorySegment w, long o, int ib) {
        return w.get(Vec.LE_LONG, o + QS + 8 * ib);
    }

    private static float scale(float d, int aux) {
        return d * (0.5f + (aux >>> 28)) * 0.5f;
    }

    /** Group l of a block, signed bytes (its first point in the low four), from the block's indices and aux word. */
    private static long group(long qs, int aux, int l) {
        long first = GRID[(int) (qs >>> (16 * l)) & 0xFF];
        long second = GRID[(int) (qs >>> (16 * l + 8)) & 0xFF];
        return IQLanes.signed(first | second << 32, IQGrid.evenSigns((aux >>> (7 * l)) & 127));
    }

    @Override
    long groupAt(MemorySegment w, long o, int g) {
        return group(indices(w, o, g >> 2), aux(w, o, g >> 2), g & 3);
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
                long qs = indices(w, o, ib);
                int aux = aux(w, o, ib);
                FloatVector s = FloatVector.broadcast(F, scale(d, aux));
                long g0 = group(qs, aux, 0);
                long g1 = group(qs, aux, 1);
                long g2 = group(qs, aux, 2);
                long g3 = group(qs, aux, 3);
                int k = xo + b * QK + 32 * ib;
                for (int p = 0; p < PARTS; p++) {
                    acc = IQLanes.widen(g0, g1, p).mul(s).fma(FloatVector.fromArray(F, x, k + p * L), acc);
                }
                for (int p = 0; p < PARTS; p++) {
                    acc = IQLanes.widen(g2, g3, p).mul(s).fma(FloatVector.fromArray(F, x, k + 16 + p * L), acc);
                }
            }
        }
        return hsum(acc);
    }

    /**
     * Each half-block decoded once, folded into the four sums in dot's order. Here and in dot a
     * block's two halves are written out: a loop over them measured up to a tenth slower.
     */
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
                long qs = indices(w, o, ib);
                int aux = aux(w, o, ib);
                FloatVector s = FloatVector.broadcast(F, scale(d, aux));
                long g0 = group(qs, aux, 0);
                long g1 = group(qs, aux, 1);
                long g2 = group(qs, aux, 2);
                long g3 = group(qs, aux, 3);
                int k = xo + b * QK + 32 * ib;
                for (int p = 0; p < PARTS; p++) {
                    FloatVector v = IQLanes.widen(g0, g1, p).mul(s);
                    int kp = k + p * L;
                    a0 = v.fma(FloatVector.fromArray(F, x, kp), a0);
                    a1 = v.fma(FloatVector.fromArray(F, x, kp + d1), a1);
                    a2 = v.fma(FloatVector.fromArray(F, x, kp + d2), a2);
                    a3 = v.fma(FloatVector.fromArray(F, x, kp + d3), a3);
                }
                for (int p = 0; p < PARTS; p++) {
                    FloatVector v = IQLanes.widen(g2, g3, p).mul(s);
                    int kp = k + 16 + p * L;
                    a0 = v.fma(FloatVector.fromArray(F, x, kp), a0);
                    a1 = v.fma(FloatVector.fromArray(F, x, kp + d1), a1);
                    a2 = v.fma(FloatVector.fromArray(F, x, kp + d2), a2);
                    a3 = v.fma(FloatVector.fromArray(F, x, kp + d3), a3);
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
                long qs = indices(w, o, ib);
                int aux = aux(w, o, ib);
                FloatVector s = FloatVector.broadcast(F, scale(d, aux));
                long g0 = group(qs, aux, 0);
                long g1 = group(qs, aux, 1);
                long g2 = group(qs, aux, 2);
                long g3 = group(qs, aux, 3);
                int k = dstOff + (16 * b + 2 * ib) * unit;
                for (int p = 0; p < PARTS; p++) {
                    IQLanes.widen(g0, g1, p).mul(s).intoArray(dst, k + p * stride);
                }
                for (int p = 0; p < PARTS; p++) {
                    IQLanes.widen(g2, g3, p).mul(s).intoArray(dst, k + unit + p * stride);
                }
            }
        }
    }
}
