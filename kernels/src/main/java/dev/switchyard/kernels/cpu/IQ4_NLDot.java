package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.PARTS;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

/**
 * IQ4_NL rows (18-byte blocks of 32: f16 d, 16 bytes of index pairs; index j in the low nibble of
 * byte j, j + 16 in its high nibble, x = d * VALUES[index]). Per block one 16-byte load; the
 * nibbles pick their levels from the sixteen-entry table with one byte shuffle
 * ({@link Vec#iq4Levels}), then are widened and scaled as Q4_0's (the product rounds once, as the
 * reference's).
 */
final class IQ4_NLDot extends DotKernel {

    static final int QK = 32;
    static final int BLOCK_BYTES = 18;

    @Override
    GgmlType type() {
        return GgmlType.IQ4_NL;
    }

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            FloatVector d = FloatVector.broadcast(F, Vec.f16(w, o));
            ByteVector q = Vec.load16(w, o + 2);
            int k = xo + b * QK;
            acc = Vec.foldScaled(Vec.iq4Levels(q.and((byte) 0x0F)), d, x, k, acc);
            acc = Vec.foldScaled(Vec.iq4Levels(Vec.bits(q, 4, 0x0F0F0F0F)), d, x, k + 16, acc);
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
            ByteVector q = Vec.load16(w, o + 2);
            int k = dstOff + 2 * b * unit;
            Vec.storeScaled(Vec.iq4Levels(q.and((byte) 0x0F)), d, dst, k, stride);
            Vec.storeScaled(Vec.iq4Levels(Vec.bits(q, 4, 0x0F0F0F0F)), d, dst, k + unit, stride);
        }
    }

    @Override
    float dotScalar(MemorySegment w, long off, float[] x, int xo, int n) {
        float s = 0f;
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o);
            int k = xo + b * QK;
            for (int j = 0; j < 16; j++) {
                int q = Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o + 2 + j));
                s += d * Vec.IQ4_VALUES[q & 0x0F] * x[k + j];
            }
            for (int j = 0; j < 16; j++) {
                int q = Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o + 2 + j));
                s += d * Vec.IQ4_VALUES[q >>> 4] * x[k + 16 + j];
            }
        }
        return s;
    }
}
