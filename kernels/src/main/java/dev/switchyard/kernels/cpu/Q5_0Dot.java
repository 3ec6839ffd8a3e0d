package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.PARTS;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

/**
 * Q5_0 rows (22-byte blocks of 32: f16 d, 32 fifth bits, 16 bytes of nibbles; value j in the low
 * nibble of byte j, value j + 16 in its high nibble, x = d * (nibble + 16 * bit - 16)). Per block
 * one 16-byte load of nibbles; the fifth bits become bytes of 16 ({@link Vec#sixteens}) OR-ed into
 * them, and each level is widened and scaled as Q4_0's are (the product exact).
 */
final class Q5_0Dot extends DotKernel {

    static final int QK = 32;
    static final int BLOCK_BYTES = 22;
    private static final int QH = 2;
    private static final int QS = 6;

    @Override
    GgmlType type() {
        return GgmlType.Q5_0;
    }

    /** A Q5 block's first 16 levels, 0..31: the low nibbles, plus 16 where bits 0..15 of qh are set. */
    static ByteVector lowLevels(ByteVector q, int qh) {
        return q.and((byte) 0x0F).or(Vec.sixteens(qh));
    }

    /** A Q5 block's last 16 levels: the high nibbles, plus 16 where bits 16..31 of qh are set. */
    static ByteVector highLevels(ByteVector q, int qh) {
        return Vec.bits(q, 4, 0x0F0F0F0F).or(Vec.sixteens(qh >>> 16));
    }

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            FloatVector d = FloatVector.broadcast(F, Vec.f16(w, o));
            int qh = w.get(Vec.LE_INT, o + QH);
            ByteVector q = Vec.load16(w, o + QS);
            int k = xo + b * QK;
            acc = Vec.foldScaled(lowLevels(q, qh).sub((byte) 16), d, x, k, acc);
            acc = Vec.foldScaled(highLevels(q, qh).sub((byte) 16), d, x, k + 16, acc);
        }
        return Vec.hsum(acc);
    }

    @Override
    void decodeChunks(MemorySegment w, long off, float[] dst, int dstOff, int stride, int n) {
        int blocks = n / QK;
        int unit = PARTS * stride;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            FloatVector d = FloatVector.broadcast(F, Vec.f16(w, o));
            int qh = w.get(Vec.LE_INT, o + QH);
            ByteVector q = Vec.load16(w, o + QS);
            int k = dstOff + 2 * b * unit;
            Vec.storeScaled(lowLevels(q, qh).sub((byte) 16), d, dst, k, stride);
            Vec.storeScaled(highLevels(q, qh).sub((byte) 16), d, dst, k + unit, stride);
        }
    }

    @Override
    float dotScalar(MemorySegment w, long off, float[] x, int xo, int n) {
        float s = 0f;
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o);
            int qh = w.get(Vec.LE_INT, o + QH);
            int k = xo + b * QK;
            for (int j = 0; j < 16; j++) {
                int q = Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o + QS + j));
                s += (((q & 0x0F) | ((qh >>> j) & 1) << 4) - 16) * d * x[k + j];
            }
            for (int j = 0; j < 16; j++) {
                int q = Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o + QS + j));
                s += (((q >>> 4) | ((qh >>> (j + 16)) & 1) << 4) - 16) * d * x[k + 16 + j];
            }
        }
        return s;
    }
}
