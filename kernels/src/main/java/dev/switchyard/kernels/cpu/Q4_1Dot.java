package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.PARTS;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

/**
 * Q4_1 rows (20-byte blocks of 32: f16 d and m, 16 bytes of nibbles; value j in the low nibble of
 * byte j, value j + 16 in its high nibble, x = q * d + m). Per block one 16-byte load; each level
 * turned into its weight with one FMA, {@code q * d + m}, which rounds once, as the reference's
 * multiply-then-add does (the product is exact: 4 bits times an f16).
 */
final class Q4_1Dot extends DotKernel {

    static final int QK = 32;
    static final int BLOCK_BYTES = 20;
    private static final int QS = 4;

    @Override
    GgmlType type() {
        return GgmlType.Q4_1;
    }

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            FloatVector d = FloatVector.broadcast(F, Vec.f16(w, o));
            FloatVector m = FloatVector.broadcast(F, Vec.f16(w, o + 2));
            ByteVector q = Vec.load16(w, o + QS);
            int k = xo + b * QK;
            acc = Vec.foldAffine(q.and((byte) 0x0F), d, m, x, k, acc);
            acc = Vec.foldAffine(Vec.bits(q, 4, 0x0F0F0F0F), d, m, x, k + 16, acc);
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
            FloatVector m = FloatVector.broadcast(F, Vec.f16(w, o + 2));
            ByteVector q = Vec.load16(w, o + QS);
            int k = dstOff + 2 * b * unit;
            Vec.storeAffine(q.and((byte) 0x0F), d, m, dst, k, stride);
            Vec.storeAffine(Vec.bits(q, 4, 0x0F0F0F0F), d, m, dst, k + unit, stride);
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
            int k = xo + b * QK;
            for (int j = 0; j < 16; j++) {
                int q = Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o + QS + j));
                s += ((q & 0x0F) * d + m) * x[k + j];
            }
            for (int j = 0; j < 16; j++) {
                int q = Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o + QS + j));
                s += ((q >>> 4) * d + m) * x[k + 16 + j];
            }
        }
        return s;
    }
}
