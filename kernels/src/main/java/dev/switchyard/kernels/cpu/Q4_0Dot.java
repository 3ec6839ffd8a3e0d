package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.PARTS;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

/**
 * Q4_0 rows (18-byte blocks: f16 d, 16 bytes of nibbles; value j in the low nibble of byte j,
 * value j + 16 in its high nibble; x = d * (q - 8)). One 16-byte load per block: masking gives the
 * first half of the block, a shift the second, each widened, scaled by d (exact) and FMA'd with x.
 */
final class Q4_0Dot extends DotKernel {

    static final int QK = 32;
    static final int BLOCK_BYTES = 18;

    @Override
    GgmlType type() {
        return GgmlType.Q4_0;
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
            acc = Vec.foldScaled(q.and((byte) 0x0F).sub((byte) 8), d, x, k, acc);
            acc = Vec.foldScaled(Vec.bits(q, 4, 0x0F0F0F0F).sub((byte) 8), d, x, k + 16, acc);
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
            Vec.storeScaled(q.and((byte) 0x0F).sub((byte) 8), d, dst, k, stride);
            Vec.storeScaled(Vec.bits(q, 4, 0x0F0F0F0F).sub((byte) 8), d, dst, k + unit, stride);
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
                s += ((q & 0x0F) - 8) * d * x[k + j];
            }
            for (int j = 0; j < 16; j++) {
                int q = Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o + 2 + j));
                s += ((q >>> 4) - 8) * d * x[k + 16 + j];
            }
        }
        return s;
    }
}
