package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.PARTS;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

/**
 * Q2_K rows (84-byte super-blocks of 256: sixteen scale/min bytes, 64 bytes of two-bit levels, f16
 * d and dmin; value = d * (sc &amp; 15) * q - dmin * (sc &gt;&gt; 4) for the 16-value sub-block s).
 * Sub-block s = 8 h + 2 j + half holds values 128 h + 32 j + 16 half .. + 16, in bits 2j of the
 * 16 bytes at qs[32 h + 16 half]: one load, shift and mask (as ints; what crosses a byte is masked
 * off), widened and turned into weights with one FMA, {@code q * dl - ml} (the product exact, so
 * it rounds once, as the reference's multiply-then-subtract). A loop over the sixteen sub-blocks
 * keeps the kernel small enough to inline into its callers whole.
 */
final class Q2_KDot extends DotKernel {

    static final int QK = 256;
    static final int BLOCK_BYTES = 84;
    private static final int QS = 16;
    private static final int D = 80;
    private static final int DMIN = 82;

    @Override
    GgmlType type() {
        return GgmlType.Q2_K;
    }

    private static int u8(MemorySegment w, long o) {
        return Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o));
    }

    /** The 16 levels (0..3) of sub-block s of the super-block at {@code o}. */
    private static ByteVector levels(MemorySegment w, long o, int s) {
        return Vec.bits(Vec.load16(w, o + QS + 32L * (s >>> 3) + 16 * (s & 1)), 2 * ((s >>> 1) & 3), 0x03030303);
    }

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o + D);
            float dmin = Vec.f16(w, o + DMIN);
            for (int s = 0; s < 16; s++) {
                int sc = u8(w, o + s);
                FloatVector dl = FloatVector.broadcast(F, d * (sc & 0x0F));
                FloatVector ml = FloatVector.broadcast(F, -(dmin * (sc >>> 4)));
                acc = Vec.foldAffine(levels(w, o, s), dl, ml, x, xo + b * QK + 16 * s, acc);
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
            float d = Vec.f16(w, o + D);
            float dmin = Vec.f16(w, o + DMIN);
            for (int s = 0; s < 16; s++) {
                int sc = u8(w, o + s);
                FloatVector dl = FloatVector.broadcast(F, d * (sc & 0x0F));
                FloatVector ml = FloatVector.broadcast(F, -(dmin * (sc >>> 4)));
                Vec.storeAffine(levels(w, o, s), dl, ml, dst, dstOff + (16 * b + s) * unit, stride);
            }
        }
    }

    @Override
    float dotScalar(MemorySegment w, long off, float[] x, int xo, int n) {
        float acc = 0f;
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o + D);
            float dmin = Vec.f16(w, o + DMIN);
            for (int s = 0; s < 16; s++) {
                int sc = u8(w, o + s);
                float dl = d * (sc & 0x0F);
                float ml = dmin * (sc >>> 4);
                long q = o + QS + 32L * (s >>> 3) + 16 * (s & 1);
                int shift = 2 * ((s >>> 1) & 3);
                for (int l = 0; l < 16; l++) {
                    acc += (dl * ((u8(w, q + l) >>> shift) & 3) - ml) * x[xo + b * QK + 16 * s + l];
                }
            }
        }
        return acc;
    }
}
