package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.PARTS;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
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
    void dot4(MemorySegment w, long off, float[] x, int xo, int xs, int n, float[] out, int oo, int os) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            FloatVector d = FloatVector.broadcast(F, Vec.f16(w, o));
            for (int half = 0; half < 2; half++) {
                ByteVector q = Vec.load16(w, o + 2 + 16 * half);
                int k = xo + b * QK + 16 * half;
                // as dot's foldScaled: per part, the scaled quants FMA'd into each vector's sum
                for (int p = 0; p < PARTS; p++) {
                    FloatVector wv = Vec.widen(q, p).mul(d);
                    int kp = k + p * Vec.L;
                    a0 = wv.fma(FloatVector.fromArray(F, x, kp), a0);
                    a1 = wv.fma(FloatVector.fromArray(F, x, kp + xs), a1);
                    a2 = wv.fma(FloatVector.fromArray(F, x, kp + 2 * xs), a2);
                    a3 = wv.fma(FloatVector.fromArray(F, x, kp + 3 * xs), a3);
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
