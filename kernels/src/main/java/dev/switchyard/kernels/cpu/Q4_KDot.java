package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.PARTS;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

/**
 * Q4_K rows (144-byte super-blocks of 256: f16 d and dmin, twelve bytes packing eight 6-bit scales
 * and mins, 128 bytes of nibbles; value = d * sc[j] * q - dmin * m[j] for sub-block j). Sub-block
 * j is the low (even j) or high (odd j) nibbles of the 32 bytes of chunk j / 2: the dot walks the
 * sub-blocks, each as two 16-byte loads shifted and masked, the decoder the chunks, each 16-byte
 * half giving a piece of both sub-blocks. Both are loops with one or two call sites of each vector
 * helper, not written-out repetition, which keeps them within what the JIT inlines whole. Each
 * 16-value piece is widened and turned into weights with one FMA, {@code q * (d * sc) - dmin * m}
 * (the product is exact, so this rounds once, exactly as the reference's multiply-then-subtract).
 */
final class Q4_KDot extends DotKernel {

    static final int QK = 256;
    static final int BLOCK_BYTES = 144;
    private static final int SCALES = 4;
    private static final int QS = 16;

    @Override
    GgmlType type() {
        return GgmlType.Q4_K;
    }

    private static int u8(MemorySegment w, long o) {
        return Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o));
    }

    /** 6-bit scale of sub-block j from the twelve packed bytes at {@code at} (scalar path). */
    static int scale(MemorySegment w, long at, int j) {
        if (j < 4) {
            return u8(w, at + j) & 63;
        }
        return (u8(w, at + j + 4) & 15) | ((u8(w, at + j - 4) >>> 6) << 4);
    }

    /** 6-bit min of sub-block j from the twelve packed bytes at {@code at} (scalar path). */
    static int min(MemorySegment w, long at, int j) {
        if (j < 4) {
            return u8(w, at + j + 4) & 63;
        }
        return (u8(w, at + j + 4) >>> 4) | ((u8(w, at + j) >>> 6) << 4);
    }

    /**
     * All eight 6-bit scales (byte j = sc[j]) of the twelve packed bytes at {@code at}, unpacked four
     * at a time in the lanes of an int: two reads instead of twelve (which keeps the kernels small
     * enough for the JIT to inline all their vector operations).
     */
    static long scales(MemorySegment w, long at) {
        long lo = w.get(Vec.LE_LONG, at);
        int b03 = (int) lo;
        int b811 = w.get(Vec.LE_INT, at + 8);
        int first = b03 & 0x3F3F3F3F;
        int second = (b811 & 0x0F0F0F0F) | (((b03 >>> 6) & 0x03030303) << 4);
        return (first & 0xFFFFFFFFL) | ((long) second << 32);
    }

    /** All eight 6-bit mins (byte j = m[j]), as {@link #scales}. */
    static long mins(MemorySegment w, long at) {
        long lo = w.get(Vec.LE_LONG, at);
        int b47 = (int) (lo >>> 32);
        int b811 = w.get(Vec.LE_INT, at + 8);
        int first = b47 & 0x3F3F3F3F;
        int second = ((b811 >>> 4) & 0x0F0F0F0F) | (((b47 >>> 6) & 0x03030303) << 4);
        return (first & 0xFFFFFFFFL) | ((long) second << 32);
    }

    private static int lane(long packed, int j) {
        return (int) (packed >>> (8 * j)) & 0xFF;
    }

    /*
     * Chunk c (0..3) of a super-block holds values 64c .. 64c+64 in 32 bytes: sub-block 2c in the
     * low nibbles, 2c+1 in the high nibbles, each half of the bytes giving 16 values.
     */

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            int dd = w.get(Vec.LE_INT, o);
            float d = Float.float16ToFloat((short) dd);
            float dmin = Float.float16ToFloat((short) (dd >>> 16));
            long sc = scales(w, o + SCALES);
            long mn = mins(w, o + SCALES);
            for (int j = 0; j < 8; j++) {
                FloatVector dj = FloatVector.broadcast(F, d * lane(sc, j));
                FloatVector mj = FloatVector.broadcast(F, -(dmin * lane(mn, j)));
                int shift = 4 * (j & 1);
                for (int h = 0; h < 2; h++) {
                    ByteVector q = Vec.bits(Vec.load16(w, o + QS + 32L * (j >> 1) + 16 * h), shift, 0x0F0F0F0F);
                    acc = Vec.foldAffine(q, dj, mj, x, xo + b * QK + 32 * j + 16 * h, acc);
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
            int dd = w.get(Vec.LE_INT, o);
            float d = Float.float16ToFloat((short) dd);
            float dmin = Float.float16ToFloat((short) (dd >>> 16));
            long sc = scales(w, o + SCALES);
            long mn = mins(w, o + SCALES);
            for (int c = 0; c < 4; c++) {
                FloatVector d1 = FloatVector.broadcast(F, d * lane(sc, 2 * c));
                FloatVector m1 = FloatVector.broadcast(F, -(dmin * lane(mn, 2 * c)));
                FloatVector d2 = FloatVector.broadcast(F, d * lane(sc, 2 * c + 1));
                FloatVector m2 = FloatVector.broadcast(F, -(dmin * lane(mn, 2 * c + 1)));
                int k = dstOff + (16 * b + 4 * c) * unit;
                // each half of the chunk's bytes: its low nibbles to sub-block 2c, its high to 2c + 1
                for (int h = 0; h < 2; h++) {
                    ByteVector q = Vec.load16(w, o + QS + 32L * c + 16 * h);
                    Vec.storeAffine(q.and((byte) 0x0F), d1, m1, dst, k + h * unit, stride);
                    Vec.storeAffine(Vec.bits(q, 4, 0x0F0F0F0F), d2, m2, dst, k + (2 + h) * unit, stride);
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
                float d1 = d * scale(w, o + SCALES, 2 * c);
                float m1 = dmin * min(w, o + SCALES, 2 * c);
                float d2 = d * scale(w, o + SCALES, 2 * c + 1);
                float m2 = dmin * min(w, o + SCALES, 2 * c + 1);
                long q = o + QS + 32L * c;
                for (int l = 0; l < 32; l++) {
                    s += (d1 * (u8(w, q + l) & 0x0F) - m1) * x[k + 64 * c + l];
                }
                for (int l = 0; l < 32; l++) {
                    s += (d2 * (u8(w, q + l) >>> 4) - m2) * x[k + 64 * c + 32 + l];
                }
            }
        }
        return s;
    }
}
