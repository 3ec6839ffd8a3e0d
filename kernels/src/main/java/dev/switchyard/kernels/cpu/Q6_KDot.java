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
 * Q6_K rows (210-byte super-blocks of 256: 128 bytes of low nibbles, 64 bytes of 2-bit high parts,
 * sixteen int8 sub-block scales, f16 d; value = d * sc * (q - 32)). Per half super-block, six
 * 16-byte loads (two of low nibbles per 32-value run, one of high bits) assemble all 128 six-bit
 * quants with masks, shifts and ors in byte lanes; each 16-value piece is one sub-block, widened and
 * scaled by {@code d * sc} (rounded as the reference rounds it) before its FMA with x.
 */
final class Q6_KDot extends DotKernel {

    static final int QK = 256;
    static final int BLOCK_BYTES = 210;
    private static final int QH = 128;
    private static final int SCALES = 192;
    private static final int D = 208;

    @Override
    GgmlType type() {
        return GgmlType.Q6_K;
    }

    private static float subScale(MemorySegment w, long at, float d) {
        return d * w.get(ValueLayout.JAVA_BYTE, at);
    }

    /*
     * Unit u (0..15) of a super-block holds values 16u .. 16u+16, sub-block u with scale u. With
     * h = u / 8 (the half), r = u / 2 % 4 (which quarter of the half) and l = u % 2: the low four
     * bits are the low (r < 2) or high (r >= 2) nibbles of ql bytes 64h + 32 (r % 2) + 16l .. + 16,
     * the high two bits are bits 2r, 2r+1 of qh bytes 32h + 16l .. + 16. One unit per loop
     * iteration keeps the method small enough for the JIT to inline every vector op.
     */

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o + D);
            long sc0 = w.get(Vec.LE_LONG, o + SCALES);
            long sc1 = w.get(Vec.LE_LONG, o + SCALES + 8);
            int k = xo + b * QK;
            for (int u = 0; u < 16; u++) {
                acc = Vec.foldScaled(quants(w, o, u), scale(u < 8 ? sc0 : sc1, u & 7, d), x, k + 16 * u, acc);
            }
        }
        return Vec.hsum(acc);
    }

    /** The sixteen signed quants of unit u of the super-block at {@code o}. */
    private static ByteVector quants(MemorySegment w, long o, int u) {
        int h = u >> 3;
        int r = (u >> 1) & 3;
        int l = u & 1;
        ByteVector lo = Vec.bits(Vec.load16(w, o + 64L * h + 32L * (r & 1) + 16L * l), 4 * (r >> 1), 0x0F0F0F0F);
        ByteVector hi = Vec.bits(Vec.load16(w, o + QH + 32L * h + 16L * l), 2 * r, 0x03030303);
        // hi << 4 stays within each byte (at most 48), so shifting the int lanes is exact.
        return lo.or(hi.reinterpretAsInts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes()).sub((byte) 32);
    }

    /** d times signed scale byte i of the eight read at once into {@code scales}. */
    private static FloatVector scale(long scales, int i, float d) {
        return FloatVector.broadcast(F, d * (byte) (scales >>> (8 * i)));
    }

    @Override
    void decodeChunks(MemorySegment w, long off, float[] dst, int dstOff, int stride, int n) {
        int blocks = n / QK;
        int unit = PARTS * stride;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o + D);
            long sc0 = w.get(Vec.LE_LONG, o + SCALES);
            long sc1 = w.get(Vec.LE_LONG, o + SCALES + 8);
            int k = dstOff + 16 * b * unit;
            for (int u = 0; u < 16; u++) {
                Vec.storeScaled(quants(w, o, u), scale(u < 8 ? sc0 : sc1, u & 7, d), dst, k + u * unit, stride);
            }
        }
    }

    @Override
    float dotScalar(MemorySegment w, long off, float[] x, int xo, int n) {
        float s = 0f;
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o + D);
            for (int h = 0; h < 2; h++) {
                long ql = o + 64L * h;
                long qh = o + QH + 32L * h;
                long sc = o + SCALES + 8L * h;
                int k = xo + b * QK + 128 * h;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int low = Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, ql + l));
                    int low32 = Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, ql + l + 32));
                    int high = Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, qh + l));
                    int q1 = ((low & 0x0F) | ((high & 3) << 4)) - 32;
                    int q2 = ((low32 & 0x0F) | (((high >>> 2) & 3) << 4)) - 32;
                    int q3 = ((low >>> 4) | (((high >>> 4) & 3) << 4)) - 32;
                    int q4 = ((low32 >>> 4) | (((high >>> 6) & 3) << 4)) - 32;
                    s += subScale(w, sc + is, d) * q1 * x[k + l];
                    s += subScale(w, sc + is + 2, d) * q2 * x[k + l + 32];
                    s += subScale(w, sc + is + 4, d) * q3 * x[k + l + 64];
                    s += subScale(w, sc + is + 6, d) * q4 * x[k + l + 96];
                }
            }
        }
        return s;
    }
}
