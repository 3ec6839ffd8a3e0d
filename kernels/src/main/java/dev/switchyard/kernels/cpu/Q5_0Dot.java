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

    /*
     * Keeping the single dot within C2's node budget: past it, its final hsum was called, not
     * inlined, and its vector boxed (at 256 and 128 bits). It reads d and qh with one 8-byte get
     * (each segment access costs hundreds of IR nodes while the JIT parses), and below 512 bits
     * folds the two halves of a block in a loop of two with one call site of foldScaled, whose
     * conversions cost thousands. At 512 bits, where two fit, they stay written out: C2 compiles
     * that to faster code than the loop.
     */

    @Override
    GgmlType type() {
        return GgmlType.Q5_0;
    }

    /**
     * Half h of a Q5 block's levels, 0..31: its first 16 (h = 0) are the low nibbles plus 16 where
     * bits 0..15 of qh are set, its last 16 the high nibbles plus bits 16..31.
     */
    static ByteVector levels(ByteVector q, int qh, int h) {
        return Vec.bits(q, 4 * h, 0x0F0F0F0F).or(Vec.sixteens(qh >>> (16 * h)));
    }

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            long head = w.get(Vec.LE_LONG, o);
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat((short) head));
            int qh = (int) (head >>> (8 * QH));
            ByteVector q = Vec.load16(w, o + QS);
            int k = xo + b * QK;
            if (PARTS == 1) {
                acc = Vec.foldScaled(levels(q, qh, 0).sub((byte) 16), d, x, k, acc);
                acc = Vec.foldScaled(levels(q, qh, 1).sub((byte) 16), d, x, k + 16, acc);
            } else {
                ByteVector lo = levels(q, qh, 0).sub((byte) 16);
                ByteVector hi = levels(q, qh, 1).sub((byte) 16);
                for (int h = 0; h < 2; h++) {
                    acc = Vec.foldScaled(h == 0 ? lo : hi, d, x, k + 16 * h, acc);
                }
            }
        }
        return Vec.hsum(acc);
    }

    @Override
    void decodeChunks(MemorySegment w, long off, float[] dst, int dstOff, int stride, int n) {
        int blocks = n / QK;
        int unit = PARTS * stride;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            long head = w.get(Vec.LE_LONG, o);
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat((short) head));
            int qh = (int) (head >>> (8 * QH));
            ByteVector q = Vec.load16(w, o + QS);
            int k = dstOff + 2 * b * unit;
            Vec.storeScaled(levels(q, qh, 0).sub((byte) 16), d, dst, k, stride);
            Vec.storeScaled(levels(q, qh, 1).sub((byte) 16), d, dst, k + unit, stride);
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
