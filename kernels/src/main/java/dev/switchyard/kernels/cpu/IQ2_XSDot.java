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
 * IQ2_XS rows (74-byte super-blocks of 256: f16 d, a u16 per group of eight holding a 9-bit grid
 * index and 7-bit signs, a 4-bit scale per half-block; see IQ2_XSCodec). Each half-block is two
 * signed grid points (see {@link IQLanes#part}), scaled by its {@code d * (0.5 + s) * 0.25}.
 */
final class IQ2_XSDot extends GridDot {

    private static final int BLOCK_BYTES = 74;
    private static final int SCALES = 66;
    private static final long[] GRID = IQGrid.IQ2_XS.packedTable();
    private static final float[] POINTS = IQLanes.floats(IQGrid.IQ2_XS);

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

    /** The 16-bit words of half-block u's two groups, the first in the low half. */
    private static int words(MemorySegment w, long o, int u) {
        return w.get(Vec.LE_INT, o + 2 + 4L * u);
    }

    /** Grid entry of a group's word (its low 9 bits). */
    private static int entry(int word) {
        return word & 511;
    }

    /** The seven stored sign bits of a group's word (its top 7 bits; the eighth makes the count even). */
    private static int seven(int word) {
        return (word >>> 9) & 127;
    }

    /** Group g (0..31), signed bytes (for the scalar twin). */
    private static long group(MemorySegment w, long o, int g) {
        int word = words(w, o, g >> 1) >>> (16 * (g & 1));
        return IQLanes.signed(GRID[entry(word)], IQGrid.evenSigns(seven(word)));
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
                int q = words(w, o, u);
                int ea = entry(q);
                int sa = seven(q);
                int eb = entry(q >>> 16);
                int sb = seven(q >>> 16);
                int k = xo + b * QK + 16 * u;
                for (int p = 0; p < PARTS; p++) {
                    acc = IQLanes.part(POINTS, IQLanes.EVEN_SIGNS, ea, sa, eb, sb, p).mul(db)
                            .fma(FloatVector.fromArray(F, x, k + p * L), acc);
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
            for (int u = 0; u < 16; u++) {
                int q = words(w, o, u);
                int ea = entry(q);
                int sa = seven(q);
                int eb = entry(q >>> 16);
                int sb = seven(q >>> 16);
                FloatVector s = FloatVector.broadcast(F, scale(w, o, d, u));
                int k = xo + b * QK + 16 * u;
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
            for (int u = 0; u < 16; u++) {
                FloatVector db = FloatVector.broadcast(F, scale(w, o, d, u));
                int q = words(w, o, u);
                int ea = entry(q);
                int sa = seven(q);
                int eb = entry(q >>> 16);
                int sb = seven(q >>> 16);
                int k = dstOff + (16 * b + u) * unit;
                for (int p = 0; p < PARTS; p++) {
                    IQLanes.part(POINTS, IQLanes.EVEN_SIGNS, ea, sa, eb, sb, p).mul(db)
                            .intoArray(dst, k + p * stride);
                }
            }
        }
    }
}
