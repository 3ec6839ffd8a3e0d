package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.PARTS;

import dev.switchyard.kernels.format.GgmlType;
import dev.switchyard.kernels.format.IQGrid;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

/**
 * IQ3_XXS rows (98-byte super-blocks of 256: f16 d, two grid indices of four magnitudes per group
 * of eight, then per block of 32 a word of 7-bit signs and a 4-bit scale; see IQ3_XXSCodec). A
 * group's two points are joined in one long, signed, and each half-block's two groups scaled by
 * {@code d * (0.5 + s) * 0.5}.
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

    private static float scale(float d, int aux) {
        return d * (0.5f + (aux >>> 28)) * 0.5f;
    }

    /** Group l of block ib, signed bytes: its first point in the low four. */
    private static long group(MemorySegment w, long o, int ib, int aux, int l) {
        long q = o + QS + 8 * ib + 2 * l;
        long first = GRID[Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, q))];
        long second = GRID[Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, q + 1))];
        return IQLanes.signed(first | second << 32, IQGrid.evenSigns((aux >>> (7 * l)) & 127));
    }

    private static ByteVector half(MemorySegment w, long o, int ib, int aux, int h) {
        return IQLanes.pair(group(w, o, ib, aux, 2 * h), group(w, o, ib, aux, 2 * h + 1));
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
                FloatVector db = FloatVector.broadcast(F, scale(d, aux));
                int k = xo + b * QK + 32 * ib;
                acc = Vec.foldScaled(half(w, o, ib, aux, 0), db, x, k, acc);
                acc = Vec.foldScaled(half(w, o, ib, aux, 1), db, x, k + 16, acc);
            }
        }
        return Vec.hsum(acc);
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
                FloatVector s = FloatVector.broadcast(F, scale(d, aux));
                for (int h = 0; h < 2; h++) {
                    ByteVector q = half(w, o, ib, aux, h);
                    int k = xo + b * QK + 32 * ib + 16 * h;
                    a0 = Vec.foldScaled(q, s, x, k, a0);
                    a1 = Vec.foldScaled(q, s, x, k + d1, a1);
                    a2 = Vec.foldScaled(q, s, x, k + d2, a2);
                    a3 = Vec.foldScaled(q, s, x, k + d3, a3);
                }
            }
        }
        out[oo] = Vec.hsum(a0);
        out[oo + os] = Vec.hsum(a1);
        out[oo + 2 * os] = Vec.hsum(a2);
        out[oo + 3 * os] = Vec.hsum(a3);
    }

    @Override
    void decodeChunks(MemorySegment w, long off, float[] dst, int dstOff, int stride, int n) {
        int unit = PARTS * stride;
        for (int b = 0; b < n / QK; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o);
            for (int ib = 0; ib < 8; ib++) {
                int aux = aux(w, o, ib);
                FloatVector db = FloatVector.broadcast(F, scale(d, aux));
                int k = dstOff + (16 * b + 2 * ib) * unit;
                Vec.storeScaled(half(w, o, ib, aux, 0), db, dst, k, stride);
                Vec.storeScaled(half(w, o, ib, aux, 1), db, dst, k + unit, stride);
            }
        }
    }
}
