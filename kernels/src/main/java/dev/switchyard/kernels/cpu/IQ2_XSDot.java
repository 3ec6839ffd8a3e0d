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
 * IQ2_XS rows (74-byte super-blocks of 256: f16 d, a u16 per group of eight holding a 9-bit grid
 * index and 7-bit signs, a 4-bit scale per half-block; see IQ2_XSCodec). Each half-block is two
 * signed grid points in sixteen bytes, scaled by its {@code d * (0.5 + s) * 0.25}.
 */
final class IQ2_XSDot extends GridDot {

    private static final int BLOCK_BYTES = 74;
    private static final int SCALES = 66;
    private static final long[] GRID = IQGrid.IQ2_XS.packedTable();

    @Override
    GgmlType type() {
        return GgmlType.IQ2_XS;
    }

    @Override
    int blockBytes() {
        return BLOCK_BYTES;
    }

    /** The scale of half-block u (0..15). */
    private static float scale(MemorySegment w, long o, float d, int u) {
        int s = (Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o + SCALES + u / 2)) >>> (4 * (u & 1))) & 0x0F;
        return d * (0.5f + s) * 0.25f;
    }

    /** Group g (0..31), signed bytes. */
    private static long group(MemorySegment w, long o, int g) {
        int q = Short.toUnsignedInt(w.get(Vec.LE_SHORT, o + 2 + 2L * g));
        return IQLanes.signed(GRID[q & 511], IQGrid.evenSigns(q >>> 9));
    }

    private static ByteVector half(MemorySegment w, long o, int u) {
        return IQLanes.pair(group(w, o, 2 * u), group(w, o, 2 * u + 1));
    }

    @Override
    long groupAt(MemorySegment w, long o, int g) {
        return group(w, o, g);
    }

    @Override
    float groupScale(MemorySegment w, long o, int g) {
        return scale(w, o, Vec.f16(w, o), g >> 1);
    }

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o);
            for (int u = 0; u < 16; u++) {
                FloatVector db = FloatVector.broadcast(F, scale(w, o, d, u));
                acc = Vec.foldScaled(half(w, o, u), db, x, xo + b * QK + 16 * u, acc);
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
            for (int u = 0; u < 16; u++) {
                ByteVector q = half(w, o, u);
                FloatVector s = FloatVector.broadcast(F, scale(w, o, d, u));
                int k = xo + b * QK + 16 * u;
                a0 = Vec.foldScaled(q, s, x, k, a0);
                a1 = Vec.foldScaled(q, s, x, k + d1, a1);
                a2 = Vec.foldScaled(q, s, x, k + d2, a2);
                a3 = Vec.foldScaled(q, s, x, k + d3, a3);
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
            for (int u = 0; u < 16; u++) {
                FloatVector db = FloatVector.broadcast(F, scale(w, o, d, u));
                Vec.storeScaled(half(w, o, u), db, dst, dstOff + (16 * b + u) * unit, stride);
            }
        }
    }
}
