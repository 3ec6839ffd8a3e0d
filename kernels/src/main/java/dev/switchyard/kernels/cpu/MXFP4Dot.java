package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.L;
import static dev.switchyard.kernels.cpu.Vec.PARTS;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;

/**
 * MXFP4 rows (17-byte blocks of 32: an E8M0 exponent e, 16 bytes of FP4 nibble pairs; value j in
 * the low nibble of byte j, j + 16 in its high nibble, x = 2^(e - 128) * VALUES[nibble], the values
 * twice the E2M1 ones). {@link IQ4_NLDot}'s kernel with another table and another scale: per block
 * one 16-byte load (from byte 1 of a 17-byte block, so at any alignment: segment loads need none),
 * the nibbles' levels by one byte shuffle ({@link Vec#mxfp4Levels}), widened and multiplied by the
 * half scale ({@link Vec#e8m0Half}; the product rounds once, as the codec's).
 */
final class MXFP4Dot extends DotKernel {

    static final int QK = 32;
    static final int BLOCK_BYTES = 17;

    /** Each lane's partner 8, 4, 2 and 1 lanes away (masked to a lane of the vector: unused where too few). */
    private static final VectorShuffle<Float> XOR8 = VectorShuffle.fromOp(F, i -> (i ^ 8) & (L - 1));
    private static final VectorShuffle<Float> XOR4 = VectorShuffle.fromOp(F, i -> (i ^ 4) & (L - 1));
    private static final VectorShuffle<Float> XOR2 = VectorShuffle.fromOp(F, i -> i ^ 2);
    private static final VectorShuffle<Float> XOR1 = VectorShuffle.fromOp(F, i -> i ^ 1);

    @Override
    GgmlType type() {
        return GgmlType.MXFP4;
    }

    private static float halfScale(MemorySegment w, long o) {
        return Vec.e8m0Half(Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o)));
    }

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            FloatVector d = FloatVector.broadcast(F, halfScale(w, o));
            ByteVector q = Vec.load16(w, o + 1);
            int k = xo + b * QK;
            acc = Vec.foldScaled(Vec.mxfp4Levels(q.and((byte) 0x0F)), d, x, k, acc);
            acc = Vec.foldScaled(Vec.mxfp4Levels(Vec.bits(q, 4, 0x0F0F0F0F)), d, x, k + 16, acc);
        }
        return Vec.hsum(acc);
    }

    /**
     * Four vectors against one row, each block's levels decoded once for all four: gpt-oss's
     * experts in a decode batch see a few tokens each, and the default dot4x4 comes through here.
     * Per vector the same operations in the same order as {@link #dot}, so bitwise its result.
     * The two nibble halves and the parts of each are loops, so that the JIT parses one lookup and
     * one widening, and the four sums are reduced by one call site of {@link #sum}: written out,
     * they outgrow its inlining budget and the vectors get boxed.
     */
    @Override
    void dot4(MemorySegment w, long off, float[] x, int xo, int xs, int n, float[] out, int oo, int os) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            FloatVector d = FloatVector.broadcast(F, halfScale(w, o));
            ByteVector q = Vec.load16(w, o + 1);
            for (int h = 0; h < 2; h++) {
                ByteVector levels = levels(q, h);
                int k = xo + b * QK + 16 * h;
                for (int p = 0; p < PARTS; p++) {
                    FloatVector v = Vec.widen(levels, p).mul(d);
                    int kp = k + p * L;
                    a0 = v.fma(FloatVector.fromArray(F, x, kp), a0);
                    a1 = v.fma(FloatVector.fromArray(F, x, kp + xs), a1);
                    a2 = v.fma(FloatVector.fromArray(F, x, kp + 2 * xs), a2);
                    a3 = v.fma(FloatVector.fromArray(F, x, kp + 3 * xs), a3);
                }
            }
        }
        for (int t = 0; t < 4; t++) {
            out[oo + t * os] = sum(t == 0 ? a0 : t == 1 ? a1 : t == 2 ? a2 : a3);
        }
    }

    /**
     * As {@link #dot4} for two vectors, row by row: an expert with two or three tokens decodes once
     * for two. The sums are reduced from {@code tile}.
     */
    @Override
    void dot4x2(MemorySegment w, long off, long rowBytes, float[] x, int xo, int xs, int n, float[] out, int oo, int os,
                float[] tile) {
        int blocks = n / QK;
        for (int i = 0; i < 4; i++) {
            long row = off + i * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            for (int b = 0; b < blocks; b++) {
                long o = row + (long) b * BLOCK_BYTES;
                FloatVector d = FloatVector.broadcast(F, halfScale(w, o));
                ByteVector q = Vec.load16(w, o + 1);
                for (int h = 0; h < 2; h++) {
                    ByteVector levels = levels(q, h);
                    int k = xo + b * QK + 16 * h;
                    for (int p = 0; p < PARTS; p++) {
                        FloatVector v = Vec.widen(levels, p).mul(d);
                        int kp = k + p * L;
                        a0 = v.fma(FloatVector.fromArray(F, x, kp), a0);
                        a1 = v.fma(FloatVector.fromArray(F, x, kp + xs), a1);
                    }
                }
            }
            a0.intoArray(tile, 0);
            a1.intoArray(tile, L);
            out[oo + i] = Vec.hsum(tile, 0);
            out[oo + os + i] = Vec.hsum(tile, L);
        }
    }

    /**
     * {@link Vec#hsum}: the same additions in the same order (lane 0 ends as
     * {@code (q0 + q2) + (q1 + q3)}, q the halves added down to four lanes), by adding lanes to
     * their partners 8, 4, 2 and 1 apart. In place of Vec.hsum for {@link #dot4}'s four sums:
     * Vec.hsum takes its halves by shape changes whose slicing the JIT, deep in the inlining, may
     * leave as calls, boxing the vectors.
     */
    private static float sum(FloatVector v) {
        if (L == 16) {
            v = v.add(v.rearrange(XOR8));
        }
        if (L >= 8) {
            v = v.add(v.rearrange(XOR4));
        }
        v = v.add(v.rearrange(XOR2));
        return v.add(v.rearrange(XOR1)).lane(0);
    }

    /** The levels of the low nibbles (h = 0: values 0..15 of the block) or the high ones (h = 1: 16..31). */
    private static ByteVector levels(ByteVector q, int h) {
        return Vec.mxfp4Levels(Vec.bits(q, 4 * h, 0x0F0F0F0F));
    }

    @Override
    void decodeChunks(MemorySegment w, long off, float[] dst, int dstOff, int stride, int n) {
        int blocks = n / QK;
        int unit = PARTS * stride;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            FloatVector d = FloatVector.broadcast(F, halfScale(w, o));
            ByteVector q = Vec.load16(w, o + 1);
            int k = dstOff + 2 * b * unit;
            Vec.storeScaled(Vec.mxfp4Levels(q.and((byte) 0x0F)), d, dst, k, stride);
            Vec.storeScaled(Vec.mxfp4Levels(Vec.bits(q, 4, 0x0F0F0F0F)), d, dst, k + unit, stride);
        }
    }

    @Override
    float dotScalar(MemorySegment w, long off, float[] x, int xo, int n) {
        float s = 0f;
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = halfScale(w, o);
            int k = xo + b * QK;
            for (int j = 0; j < 16; j++) {
                int q = Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o + 1 + j));
                s += d * Vec.MXFP4_VALUES[q & 0x0F] * x[k + j];
            }
            for (int j = 0; j < 16; j++) {
                int q = Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o + 1 + j));
                s += d * Vec.MXFP4_VALUES[q >>> 4] * x[k + 16 + j];
            }
        }
        return s;
    }
}
