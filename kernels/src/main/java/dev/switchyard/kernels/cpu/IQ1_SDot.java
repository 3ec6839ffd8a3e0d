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
 * IQ1_S rows (50-byte super-blocks of 256: f16 d, per group of eight the low eight bits of an
 * 11-bit grid index, per block of 32 a word with the top index bits, a 3-bit scale and the shift's
 * sign; see IQ1_SCodec). The shifted values {@code 8 (grid +- 1/8)} are whole bytes (one table
 * over both shifts), scaled by an eighth of the block's {@code d * (2 s + 1)}: a power of two, so the
 * products are the codec's bit for bit.
 */
final class IQ1_SDot extends GridDot {

    private static final int BLOCK_BYTES = 50;
    private static final int QS = 2;
    private static final int QH = 34;
    /** Points shifted up, then shifted down: entry index + 2048 * shift bit. */
    private static final long[] SHIFTED = IQLanes.shifted(IQGrid.IQ1_S);

    @Override
    GgmlType type() {
        return GgmlType.IQ1_S;
    }

    @Override
    int blockBytes() {
        return BLOCK_BYTES;
    }

    private static int qh(MemorySegment w, long o, int ib) {
        return Short.toUnsignedInt(w.get(Vec.LE_SHORT, o + QH + 2 * ib));
    }

    /** An eighth of block ib's scale, for the bytes of {@link #group}. */
    private static float scale(float d, int qh) {
        return d * (2 * ((qh >>> 12) & 7) + 1) * 0.125f;
    }

    /** Group l of block ib as eight times its shifted values. */
    private static long group(MemorySegment w, long o, int ib, int qh, int l) {
        int index = Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o + QS + 4 * ib + l)) | ((qh >>> (3 * l)) & 7) << 8;
        return SHIFTED[index | (qh >>> 15) << 11];
    }

    private static ByteVector half(MemorySegment w, long o, int ib, int qh, int h) {
        return IQLanes.pair(group(w, o, ib, qh, 2 * h), group(w, o, ib, qh, 2 * h + 1));
    }

    @Override
    long groupAt(MemorySegment w, long o, int g) {
        return group(w, o, g >> 2, qh(w, o, g >> 2), g & 3);
    }

    @Override
    float groupScale(MemorySegment w, long o, int g) {
        return scale(Vec.f16(w, o), qh(w, o, g >> 2));
    }

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o);
            for (int ib = 0; ib < 8; ib++) {
                int qh = qh(w, o, ib);
                FloatVector dl = FloatVector.broadcast(F, scale(d, qh));
                int k = xo + b * QK + 32 * ib;
                acc = Vec.foldScaled(half(w, o, ib, qh, 0), dl, x, k, acc);
                acc = Vec.foldScaled(half(w, o, ib, qh, 1), dl, x, k + 16, acc);
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
                int qh = qh(w, o, ib);
                FloatVector s = FloatVector.broadcast(F, scale(d, qh));
                for (int h = 0; h < 2; h++) {
                    ByteVector q = half(w, o, ib, qh, h);
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
                int qh = qh(w, o, ib);
                FloatVector dl = FloatVector.broadcast(F, scale(d, qh));
                int k = dstOff + (16 * b + 2 * ib) * unit;
                Vec.storeScaled(half(w, o, ib, qh, 0), dl, dst, k, stride);
                Vec.storeScaled(half(w, o, ib, qh, 1), dl, dst, k + unit, stride);
            }
        }
    }
}
