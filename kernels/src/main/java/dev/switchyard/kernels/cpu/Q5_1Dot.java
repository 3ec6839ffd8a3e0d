package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.PARTS;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

/**
 * Q5_1 rows (24-byte blocks of 32: f16 d and m, 32 fifth bits, 16 bytes of nibbles; value j in the
 * low nibble of byte j, value j + 16 in its high nibble, x = (nibble + 16 * bit) * d + m). As
 * {@link Q5_0Dot}, each level turned into its weight with one FMA, {@code q * d + m}, which rounds
 * once, as the reference's multiply-then-add does (the product is exact: 5 bits times an f16).
 */
final class Q5_1Dot extends DotKernel {

    static final int QK = 32;
    static final int BLOCK_BYTES = 24;
    private static final int QH = 4;
    private static final int QS = 8;

    /*
     * As Q5_0Dot, within C2's node budget: d, m and qh read with one 8-byte get, and below 512 bits
     * the two halves of a block folded in a loop of two with one call site of foldAffine.
     */

    @Override
    GgmlType type() {
        return GgmlType.Q5_1;
    }

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            long head = w.get(Vec.LE_LONG, o);
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat((short) head));
            FloatVector m = FloatVector.broadcast(F, Float.float16ToFloat((short) (head >>> 16)));
            int qh = (int) (head >>> (8 * QH));
            ByteVector q = Vec.load16(w, o + QS);
            int k = xo + b * QK;
            if (PARTS == 1) {
                acc = Vec.foldAffine(Q5_0Dot.levels(q, qh, 0), d, m, x, k, acc);
                acc = Vec.foldAffine(Q5_0Dot.levels(q, qh, 1), d, m, x, k + 16, acc);
            } else {
                ByteVector lo = Q5_0Dot.levels(q, qh, 0);
                ByteVector hi = Q5_0Dot.levels(q, qh, 1);
                for (int h = 0; h < 2; h++) {
                    acc = Vec.foldAffine(h == 0 ? lo : hi, d, m, x, k + 16 * h, acc);
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
            FloatVector m = FloatVector.broadcast(F, Float.float16ToFloat((short) (head >>> 16)));
            int qh = (int) (head >>> (8 * QH));
            ByteVector q = Vec.load16(w, o + QS);
            int k = dstOff + 2 * b * unit;
            Vec.storeAffine(Q5_0Dot.levels(q, qh, 0), d, m, dst, k, stride);
            Vec.storeAffine(Q5_0Dot.levels(q, qh, 1), d, m, dst, k + unit, stride);
        }
    }

    @Override
    float dotScalar(MemorySegment w, long off, float[] x, int xo, int n) {
        float s = 0f;
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o);
            float m = Vec.f16(w, o + 2);
            int qh = w.get(Vec.LE_INT, o + QH);
            int k = xo + b * QK;
            for (int j = 0; j < 16; j++) {
                int q = Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o + QS + j));
                s += (((q & 0x0F) | ((qh >>> j) & 1) << 4) * d + m) * x[k + j];
            }
            for (int j = 0; j < 16; j++) {
                int q = Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o + QS + j));
                s += (((q >>> 4) | ((qh >>> (j + 16)) & 1) << 4) * d + m) * x[k + 16 + j];
            }
        }
        return s;
    }
}
