package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.PARTS;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;

/**
 * Q8_0 rows (34-byte blocks: f16 d, 32 int8 quants; x = d * q). Each half block is one 16-byte
 * load, widened to floats and scaled by d (exact: 11 x 8 significant bits), then FMA'd with x.
 */
final class Q8_0Dot extends DotKernel {

    static final int QK = 32;
    static final int BLOCK_BYTES = 34;

    @Override
    GgmlType type() {
        return GgmlType.Q8_0;
    }

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            FloatVector d = FloatVector.broadcast(F, Vec.f16(w, o));
            int k = xo + b * QK;
            acc = Vec.foldScaled(Vec.load16(w, o + 2), d, x, k, acc);
            acc = Vec.foldScaled(Vec.load16(w, o + 18), d, x, k + 16, acc);
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
            int k = dstOff + 2 * b * unit;
            Vec.storeScaled(Vec.load16(w, o + 2), d, dst, k, stride);
            Vec.storeScaled(Vec.load16(w, o + 18), d, dst, k + unit, stride);
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
            for (int j = 0; j < QK; j++) {
                s += w.get(ValueLayout.JAVA_BYTE, o + 2 + j) * d * x[k + j];
            }
        }
        return s;
    }
}
