package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.PARTS;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q5_K rows (176-byte super-blocks of 256: f16 d and dmin, the twelve packed bytes of eight 6-bit
 * scales and mins as Q4_K, 32 bytes of fifth bits, 128 bytes of nibbles; q = nibble + 16 * bit,
 * value = d * sc[j] * q - dmin * m[j] for sub-block j). As {@link Q4_KDot}, with the fifth bit of
 * each value moved into bit 4 of its nibble's byte before widening: bit j of qh[l] belongs to value
 * l of sub-block j, so the two 16-byte halves of qh serve every sub-block. Each weight is one FMA,
 * {@code q * (d * sc) - dmin * m}, exact in its product (17 bits times 5), so it rounds once, as
 * the reference's multiply-then-subtract.
 */
final class Q5_KDot extends DotKernel {

    static final int QK = 256;
    static final int BLOCK_BYTES = 176;
    private static final int SCALES = 4;
    private static final int QH = 16;
    private static final int QS = 48;

    @Override
    GgmlType type() {
        return GgmlType.Q5_K;
    }

    private static int u8(MemorySegment w, long o) {
        return Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o));
    }

    private static int lane(long packed, int j) {
        return (int) (packed >>> (8 * j)) & 0xFF;
    }

    /**
     * The 16 values of sub-block j at {@code half} (0: values 0..15, 1: 16..31) as bytes 0..31:
     * nibble j &amp; 1 of qs[32 (j / 2) + 16 half + i] plus 16 times bit j of qh[16 half + i]. Shifted
     * as ints (x86 has no byte shifts): what crosses into a neighbouring byte is masked off.
     */
    private static ByteVector levels(MemorySegment w, long o, int j, int half) {
        ByteVector q = Vec.bits(Vec.load16(w, o + QS + 32L * (j >> 1) + 16 * half), 4 * (j & 1), 0x0F0F0F0F);
        ByteVector h = Vec.load16(w, o + QH + 16 * half).reinterpretAsInts().lanewise(VectorOperators.LSHR, j)
                .lanewise(VectorOperators.LSHL, 4).and(0x10101010).reinterpretAsBytes();
        return q.or(h);
    }

    /*
     * One sub-block (32 values) at a time, each in two halves of 16, in index order: a loop rather
     * than Q4_KDot's unrolled chunks, which with the fifth bits grew past what the JIT inlines
     * (its vector operations then boxed, ten times slower).
     */

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o);
            float dmin = Vec.f16(w, o + 2);
            long sc = Q4_KDot.scales(w, o + SCALES);
            long mn = Q4_KDot.mins(w, o + SCALES);
            for (int j = 0; j < 8; j++) {
                FloatVector dj = FloatVector.broadcast(F, d * lane(sc, j));
                FloatVector mj = FloatVector.broadcast(F, -(dmin * lane(mn, j)));
                for (int half = 0; half < 2; half++) {
                    acc = Vec.foldAffine(levels(w, o, j, half), dj, mj, x, xo + b * QK + 32 * j + 16 * half, acc);
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
            float d = Vec.f16(w, o);
            float dmin = Vec.f16(w, o + 2);
            long sc = Q4_KDot.scales(w, o + SCALES);
            long mn = Q4_KDot.mins(w, o + SCALES);
            for (int j = 0; j < 8; j++) {
                FloatVector dj = FloatVector.broadcast(F, d * lane(sc, j));
                FloatVector mj = FloatVector.broadcast(F, -(dmin * lane(mn, j)));
                for (int half = 0; half < 2; half++) {
                    Vec.storeAffine(levels(w, o, j, half), dj, mj, dst, dstOff + (16 * b + 2 * j + half) * unit, stride);
                }
            }
        }
    }

    @Override
    float dotScalar(MemorySegment w, long off, float[] x, int xo, int n) {
        float s = 0f;
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o);
            float dmin = Vec.f16(w, o + 2);
            int k = xo + b * QK;
            for (int c = 0; c < 4; c++) {
                float d1 = d * Q4_KDot.scale(w, o + SCALES, 2 * c);
                float m1 = dmin * Q4_KDot.min(w, o + SCALES, 2 * c);
                float d2 = d * Q4_KDot.scale(w, o + SCALES, 2 * c + 1);
                float m2 = dmin * Q4_KDot.min(w, o + SCALES, 2 * c + 1);
                long q = o + QS + 32L * c;
                for (int l = 0; l < 32; l++) {
                    int high = (u8(w, o + QH + l) >>> (2 * c)) & 1;
                    s += (d1 * ((u8(w, q + l) & 0x0F) + 16 * high) - m1) * x[k + 64 * c + l];
                }
                for (int l = 0; l < 32; l++) {
                    int high = (u8(w, o + QH + l) >>> (2 * c + 1)) & 1;
                    s += (d2 * ((u8(w, q + l) >>> 4) + 16 * high) - m2) * x[k + 64 * c + 32 + l];
                }
            }
        }
        return s;
    }
}
