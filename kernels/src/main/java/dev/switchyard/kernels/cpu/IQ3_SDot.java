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
 * IQ3_S rows (110-byte super-blocks of 256: f16 d, two 9-bit grid indices of four magnitudes and a
 * sign byte per group of eight, a 4-bit scale per block of 32; see IQ3_SCodec). Each block's eight
 * index bytes, four sign bytes and qh are read once; a group's two points are joined in one long,
 * signed, and each block scaled by {@code d * (1 + 2 s)}.
 */
final class IQ3_SDot extends GridDot {

    private static final int BLOCK_BYTES = 110;
    private static final int QS = 2;
    private static final int QH = 66;
    private static final int SIGNS = 74;
    private static final int SCALES = 106;
    private static final long[] GRID = IQGrid.IQ3_S.packedTable();

    @Override
    GgmlType type() {
        return GgmlType.IQ3_S;
    }

    @Override
    int blockBytes() {
        return BLOCK_BYTES;
    }

    private static int u8(MemorySegment w, long o) {
        return Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o));
    }

    private static float scale(MemorySegment w, long o, float d, int ib) {
        return d * (1 + 2 * ((u8(w, o + SCALES + ib / 2) >>> (4 * (ib & 1))) & 0x0F));
    }

    /** Group l of a block, signed bytes (its first point in the low four), from the block's index bytes, sign bytes and qh. */
    private static long group(long qs, int signs, int qh, int l) {
        long first = GRID[(int) (qs >>> (16 * l)) & 0xFF | ((qh << (8 - 2 * l)) & 256)];
        long second = GRID[(int) (qs >>> (16 * l + 8)) & 0xFF | ((qh << (7 - 2 * l)) & 256)];
        return IQLanes.signed(first | second << 32, (signs >>> (8 * l)) & 0xFF);
    }

    @Override
    long groupAt(MemorySegment w, long o, int g) {
        int ib = g >> 2;
        return group(w.get(Vec.LE_LONG, o + QS + 8 * ib), w.get(Vec.LE_INT, o + SIGNS + 4 * ib), u8(w, o + QH + ib), g & 3);
    }

    @Override
    float groupScale(MemorySegment w, long o, int g) {
        return scale(w, o, Vec.f16(w, o), g >> 2);
    }

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o);
            for (int ib = 0; ib < 8; ib++) {
                long qs = w.get(Vec.LE_LONG, o + QS + 8 * ib);
                int signs = w.get(Vec.LE_INT, o + SIGNS + 4 * ib);
                int qh = u8(w, o + QH + ib);
                FloatVector s = FloatVector.broadcast(F, scale(w, o, d, ib));
                long g0 = group(qs, signs, qh, 0);
                long g1 = group(qs, signs, qh, 1);
                long g2 = group(qs, signs, qh, 2);
                long g3 = group(qs, signs, qh, 3);
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
                long qs = w.get(Vec.LE_LONG, o + QS + 8 * ib);
                int signs = w.get(Vec.LE_INT, o + SIGNS + 4 * ib);
                int qh = u8(w, o + QH + ib);
                FloatVector s = FloatVector.broadcast(F, scale(w, o, d, ib));
                long g0 = group(qs, signs, qh, 0);
                long g1 = group(qs, signs, qh, 1);
                long g2 = group(qs, signs, qh, 2);
                long g3 = group(qs, signs, qh, 3);
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
                long qs = w.get(Vec.LE_LONG, o + QS + 8 * ib);
                int signs = w.get(Vec.LE_INT, o + SIGNS + 4 * ib);
                int qh = u8(w, o + QH + ib);
                FloatVector s = FloatVector.broadcast(F, scale(w, o, d, ib));
                long g0 = group(qs, signs, qh, 0);
                long g1 = group(qs, signs, qh, 1);
                long g2 = group(qs, signs, qh, 2);
                long g3 = group(qs, signs, qh, 3);
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
