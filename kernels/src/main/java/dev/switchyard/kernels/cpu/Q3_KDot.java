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
 * Q3_K rows (110-byte super-blocks of 256: 32 bytes of third bits, 64 bytes of two-bit pairs,
 * twelve bytes of sixteen 6-bit scales, f16 d; value = d * (sc[s] - 32) * (q - 4) for the 16-value
 * sub-block s, q = two bits + 4 * third bit). Sub-block s = 8 h + 2 j + half holds values
 * 128 h + 32 j + 16 half .. + 16: bits 2j of the 16 bytes at qs[32 h + 16 half], bit 4 h + j of
 * the 16 at hmask[16 half]. Each is one 16-byte load and shift per array, shifted as ints (x86 has
 * no byte shifts; what crosses a byte boundary is masked off), then widened and scaled as the
 * reference does ({@code dl = d * (sc - 32)}, then {@code dl * (q - 4)}). A loop over the sixteen
 * sub-blocks, not unrolled code, keeps the kernel small enough to inline into its callers whole.
 */
final class Q3_KDot extends DotKernel {

    static final int QK = 256;
    static final int BLOCK_BYTES = 110;
    private static final int HMASK = 0;
    private static final int QS = 32;
    private static final int SCALES = 96;
    private static final int D = 108;

    @Override
    GgmlType type() {
        return GgmlType.Q3_K;
    }

    private static int u8(MemorySegment w, long o) {
        return Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o));
    }

    /** 6-bit scale s (0..63) of the twelve packed bytes at {@code at}. */
    private static int scale(MemorySegment w, long at, int s) {
        int low = u8(w, at + (s & 7));
        low = s < 8 ? low & 0x0F : low >>> 4;
        return low | (((u8(w, at + 8 + (s & 3)) >>> (2 * (s >>> 2))) & 3) << 4);
    }

    /**
     * Scales 0..7 ({@code high} false) or 8..15 of the twelve packed bytes at {@code at}, one per
     * byte of the long (ggml's unpacking of them as four words): three reads per super-block
     * instead of two per sub-block.
     */
    private static long scales(MemorySegment w, long at, boolean high) {
        int a0 = w.get(Vec.LE_INT, at);
        int a1 = w.get(Vec.LE_INT, at + 4);
        int tmp = w.get(Vec.LE_INT, at + 8);
        int first = high ? ((a0 >>> 4) & 0x0F0F0F0F) | (((tmp >>> 4) & 0x03030303) << 4)
                : (a0 & 0x0F0F0F0F) | ((tmp & 0x03030303) << 4);
        int second = high ? ((a1 >>> 4) & 0x0F0F0F0F) | (((tmp >>> 6) & 0x03030303) << 4)
                : (a1 & 0x0F0F0F0F) | (((tmp >>> 2) & 0x03030303) << 4);
        return (first & 0xFFFFFFFFL) | ((long) second << 32);
    }

    /** The 16 levels q - 4 (-4..3) of sub-block s of the super-block at {@code o}. */
    private static ByteVector levels(MemorySegment w, long o, int s) {
        int h = s >>> 3;
        int j = (s >>> 1) & 3;
        int half = s & 1;
        ByteVector low = Vec.bits(Vec.load16(w, o + QS + 32L * h + 16 * half), 2 * j, 0x03030303);
        ByteVector third = Vec.load16(w, o + HMASK + 16 * half).reinterpretAsInts()
                .lanewise(VectorOperators.LSHR, 4 * h + j).and(0x01010101).lanewise(VectorOperators.LSHL, 2)
                .reinterpretAsBytes();
        return low.or(third).sub((byte) 4);
    }

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o + D);
            long low = scales(w, o + SCALES, false);
            long high = scales(w, o + SCALES, true);
            for (int s = 0; s < 16; s++) {
                int sc = (int) ((s < 8 ? low : high) >>> (8 * (s & 7))) & 0xFF;
                FloatVector dl = FloatVector.broadcast(F, d * (sc - 32));
                acc = Vec.foldScaled(levels(w, o, s), dl, x, xo + b * QK + 16 * s, acc);
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
            long low = scales(w, o + SCALES, false);
            long high = scales(w, o + SCALES, true);
            for (int s = 0; s < 16; s++) {
                int sc = (int) ((s < 8 ? low : high) >>> (8 * (s & 7))) & 0xFF;
                FloatVector dl = FloatVector.broadcast(F, d * (sc - 32));
                Vec.storeScaled(levels(w, o, s), dl, dst, dstOff + (16 * b + s) * unit, stride);
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
            for (int s = 0; s < 16; s++) {
                int h = s >>> 3;
                int j = (s >>> 1) & 3;
                int half = s & 1;
                float dl = d * (scale(w, o + SCALES, s) - 32);
                for (int l = 0; l < 16; l++) {
                    int low = (u8(w, o + QS + 32L * h + 16 * half + l) >>> (2 * j)) & 3;
                    int third = (u8(w, o + HMASK + 16 * half + l) >>> (4 * h + j)) & 1;
                    acc += dl * (low - (third != 0 ? 0 : 4)) * x[xo + b * QK + 16 * s + l];
                }
            }
        }
        return acc;
    }
}
