package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.PARTS;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

/**
 * IQ4_XS rows (136-byte super-blocks of 256: f16 d, sixteen bits and four bytes of eight 6-bit
 * scales, 128 bytes of index pairs; block ib's 32 values in the 16 bytes at qs[16 ib], low nibbles
 * first; value = d * (scale - 32) * VALUES[index]). Per block one 16-byte load, the table lookup of
 * {@link IQ4_NLDot}, and its scale {@code dl = d * (scale - 32)} as the reference computes it. A
 * loop over the eight blocks keeps the kernel small enough to inline into its callers whole.
 */
final class IQ4_XSDot extends DotKernel {

    static final int QK = 256;
    static final int BLOCK_BYTES = 136;
    private static final int SCALES_H = 2;
    private static final int SCALES_L = 4;
    private static final int QS = 8;

    @Override
    GgmlType type() {
        return GgmlType.IQ4_XS;
    }

    private static int u8(MemorySegment w, long o) {
        return Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o));
    }

    /** Block ib's scale, 0..63. */
    private static int scale(MemorySegment w, long o, int ib) {
        int high = Short.toUnsignedInt(w.get(Vec.LE_SHORT, o + SCALES_H));
        return ((u8(w, o + SCALES_L + ib / 2) >>> (4 * (ib & 1))) & 0x0F) | (((high >>> (2 * ib)) & 3) << 4);
    }

    /**
     * Block ib's scale from the super-block's first eight bytes (d, the high bits, the low nibbles)
     * read with one get. The vector kernels take it so: the scalar reads were two more segment
     * accesses, each hundreds of IR nodes while the JIT parses, and with them the single dot passed
     * its node budget at 256 and 128 bits (its final hsum called, not inlined, its vector boxed).
     */
    private static int scale(long head, int ib) {
        int high = (int) (head >>> (8 * SCALES_H));
        int low = (int) (head >>> (8 * SCALES_L));
        return ((low >>> (4 * ib)) & 0x0F) | (((high >>> (2 * ib)) & 3) << 4);
    }

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            long head = w.get(Vec.LE_LONG, o);
            float d = Float.float16ToFloat((short) head);
            for (int ib = 0; ib < 8; ib++) {
                FloatVector dl = FloatVector.broadcast(F, d * (scale(head, ib) - 32));
                ByteVector q = Vec.load16(w, o + QS + 16 * ib);
                int k = xo + b * QK + 32 * ib;
                acc = Vec.foldScaled(Vec.iq4Levels(q.and((byte) 0x0F)), dl, x, k, acc);
                acc = Vec.foldScaled(Vec.iq4Levels(Vec.bits(q, 4, 0x0F0F0F0F)), dl, x, k + 16, acc);
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
            float d = Float.float16ToFloat((short) head);
            for (int ib = 0; ib < 8; ib++) {
                FloatVector dl = FloatVector.broadcast(F, d * (scale(head, ib) - 32));
                ByteVector q = Vec.load16(w, o + QS + 16 * ib);
                int k = dstOff + (16 * b + 2 * ib) * unit;
                Vec.storeScaled(Vec.iq4Levels(q.and((byte) 0x0F)), dl, dst, k, stride);
                Vec.storeScaled(Vec.iq4Levels(Vec.bits(q, 4, 0x0F0F0F0F)), dl, dst, k + unit, stride);
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
            for (int ib = 0; ib < 8; ib++) {
                float dl = d * (scale(w, o, ib) - 32);
                int k = xo + b * QK + 32 * ib;
                for (int j = 0; j < 16; j++) {
                    int q = u8(w, o + QS + 16 * ib + j);
                    s += dl * Vec.IQ4_VALUES[q & 0x0F] * x[k + j];
                }
                for (int j = 0; j < 16; j++) {
                    int q = u8(w, o + QS + 16 * ib + j);
                    s += dl * Vec.IQ4_VALUES[q >>> 4] * x[k + 16 + j];
                }
            }
        }
        return s;
    }
}
