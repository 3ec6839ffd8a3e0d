package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.L;
import static dev.switchyard.kernels.cpu.Vec.PARTS;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q8_0 rows (34-byte blocks: f16 d, 32 int8 quants; x = d * q). Each half block is sixteen quants,
 * widened to floats and scaled by d (exact: 11 x 8 significant bits), then FMA'd with x. The single
 * dot loads them as one 16-byte vector; the multi-row and multi-token kernels take them a part (one
 * float vector's worth) at a time: at 256 and 512 bits from a load of that part alone
 * ({@link Vec#widenAt}), at 128 bits by a byte shuffle of one 16-byte load ({@link #part}).
 */
final class Q8_0Dot extends DotKernel {

    static final int QK = 32;
    static final int BLOCK_BYTES = 34;

    /*
     * The multi-row and multi-token kernels walk a unit's parts as PAIRS pairs of PAIR (1 x 1, 1 x 2
     * or 2 x 2 at 512, 256 and 128 bits), not in one loop of PARTS: C2 unrolls a loop of two or
     * three trips whole unless its body is large, one of four only if its body is tiny. Left
     * rolled, the loop of four parts at 128 bits redid its index arithmetic (and, loading per part,
     * its range checks) at every part: dot4Rows took four times its 256-bit time per row, not two.
     */
    private static final int PAIR = Math.min(PARTS, 2);
    private static final int PAIRS = PARTS / PAIR;

    /** Byte 4j + i is j: plus 4p, the shuffle that puts quant 4p + j in every byte of int lane j. */
    private static final ByteVector SPREAD = ByteVector.fromArray(Vec.B16,
            new byte[] {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3}, 0);

    /** The sixteen quants at {@code o} as one vector for {@link #part} at 128 bits; null (unused) wider. */
    private static ByteVector unit(MemorySegment w, long o) {
        return L == 4 ? Vec.load16(w, o) : null;
    }

    /**
     * Part p of the sixteen quants at {@code o} widened to floats. At 128 bits a part is four bytes
     * of {@code q} (the same sixteen, loaded once by {@link #unit}): one byte shuffle puts quant
     * 4p + j in all four bytes of int lane j, an arithmetic shift brings it down with its sign, and
     * the ints convert exactly. That takes no segment access per part (each one an address and a
     * range check), and parses in fewer nodes than a conversion of part p of sixteen bytes.
     */
    private static FloatVector part(MemorySegment w, long o, ByteVector q, int p) {
        if (L == 4) {
            return (FloatVector) SPREAD.add((byte) (4 * p)).selectFrom(q).reinterpretAsInts()
                    .lanewise(VectorOperators.ASHR, 24).convertShape(VectorOperators.I2F, F, 0);
        }
        return Vec.widenAt(w, o, p);
    }

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
                int k = xo + b * QK + 16 * half;
                long h = o + 2 + 16 * half;
                ByteVector q = unit(w, h);
                // as dot's foldScaled: per part, the scaled quants FMA'd into each vector's sum
                for (int pa = 0; pa < PAIRS; pa++) {
                    for (int pb = 0; pb < PAIR; pb++) {
                        int p = 2 * pa + pb;
                        FloatVector wv = part(w, h, q, p).mul(d);
                        int kp = k + p * Vec.L;
                        a0 = wv.fma(FloatVector.fromArray(F, x, kp), a0);
                        a1 = wv.fma(FloatVector.fromArray(F, x, kp + xs), a1);
                        a2 = wv.fma(FloatVector.fromArray(F, x, kp + 2 * xs), a2);
                        a3 = wv.fma(FloatVector.fromArray(F, x, kp + 3 * xs), a3);
                    }
                }
            }
        }
        // one hsum call site, the sums moved down a place each time: four written-out calls passed
        // C2's node budget (a vector passed to a call that is not inlined gets boxed); two loops of
        // two, which C2 unrolls whole, where it left a loop of four rolled
        for (int ta = 0; ta < 2; ta++) {
            for (int tb = 0; tb < 2; tb++) {
                out[oo + (2 * ta + tb) * os] = Vec.hsum(a0);
                a0 = a1;
                a1 = a2;
                a2 = a3;
            }
        }
    }

    @Override
    void dot4Rows(MemorySegment w, long off, long rowBytes, float[] x, int xo, int n, float[] out, int oo, float[] tile) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o0 = off + (long) b * BLOCK_BYTES;
            long o1 = o0 + rowBytes;
            long o2 = o1 + rowBytes;
            long o3 = o2 + rowBytes;
            FloatVector d0 = FloatVector.broadcast(F, Vec.f16(w, o0));
            FloatVector d1 = FloatVector.broadcast(F, Vec.f16(w, o1));
            FloatVector d2 = FloatVector.broadcast(F, Vec.f16(w, o2));
            FloatVector d3 = FloatVector.broadcast(F, Vec.f16(w, o3));
            for (int half = 0; half < 2; half++) {
                int h = 2 + 16 * half;
                int k = xo + b * QK + 16 * half;
                ByteVector q0 = unit(w, o0 + h);
                ByteVector q1 = unit(w, o1 + h);
                ByteVector q2 = unit(w, o2 + h);
                ByteVector q3 = unit(w, o3 + h);
                // as dot's foldScaled, for each row: the scaled quants FMA'd into its own sum
                for (int pa = 0; pa < PAIRS; pa++) {
                    for (int pb = 0; pb < PAIR; pb++) {
                        int p = 2 * pa + pb;
                        FloatVector xv = FloatVector.fromArray(F, x, k + p * L);
                        a0 = part(w, o0 + h, q0, p).mul(d0).fma(xv, a0);
                        a1 = part(w, o1 + h, q1, p).mul(d1).fma(xv, a1);
                        a2 = part(w, o2 + h, q2, p).mul(d2).fma(xv, a2);
                        a3 = part(w, o3 + h, q3, p).mul(d3).fma(xv, a3);
                    }
                }
            }
        }
        // stored, then reduced as hsum does (four hsum calls would not all be inlined, and a
        // vector passed to a call that is not inlined gets boxed)
        a0.intoArray(tile, 0);
        a1.intoArray(tile, L);
        a2.intoArray(tile, 2 * L);
        a3.intoArray(tile, 3 * L);
        for (int i = 0; i < 4; i++) {
            out[oo + i] = Vec.hsum(tile, i * L);
        }
    }

    @Override
    void dot4x2(MemorySegment w, long off, long rowBytes, float[] x, int xo, int xs, int n, float[] out, int oo, int os,
                float[] tile) {
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a10 = a00;
        FloatVector a20 = a00;
        FloatVector a30 = a00;
        FloatVector a01 = a00;
        FloatVector a11 = a00;
        FloatVector a21 = a00;
        FloatVector a31 = a00;
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o0 = off + (long) b * BLOCK_BYTES;
            long o1 = o0 + rowBytes;
            long o2 = o1 + rowBytes;
            long o3 = o2 + rowBytes;
            FloatVector d0 = FloatVector.broadcast(F, Vec.f16(w, o0));
            FloatVector d1 = FloatVector.broadcast(F, Vec.f16(w, o1));
            FloatVector d2 = FloatVector.broadcast(F, Vec.f16(w, o2));
            FloatVector d3 = FloatVector.broadcast(F, Vec.f16(w, o3));
            for (int half = 0; half < 2; half++) {
                int h = 2 + 16 * half;
                int k = xo + b * QK + 16 * half;
                ByteVector q0 = unit(w, o0 + h);
                ByteVector q1 = unit(w, o1 + h);
                ByteVector q2 = unit(w, o2 + h);
                ByteVector q3 = unit(w, o3 + h);
                for (int pa = 0; pa < PAIRS; pa++) {
                    for (int pb = 0; pb < PAIR; pb++) {
                        int p = 2 * pa + pb;
                        FloatVector w0 = part(w, o0 + h, q0, p).mul(d0);
                        FloatVector w1 = part(w, o1 + h, q1, p).mul(d1);
                        FloatVector w2 = part(w, o2 + h, q2, p).mul(d2);
                        FloatVector w3 = part(w, o3 + h, q3, p).mul(d3);
                        int kp = k + p * L;
                        FloatVector xv = FloatVector.fromArray(F, x, kp);
                        a00 = w0.fma(xv, a00);
                        a10 = w1.fma(xv, a10);
                        a20 = w2.fma(xv, a20);
                        a30 = w3.fma(xv, a30);
                        xv = FloatVector.fromArray(F, x, kp + xs);
                        a01 = w0.fma(xv, a01);
                        a11 = w1.fma(xv, a11);
                        a21 = w2.fma(xv, a21);
                        a31 = w3.fma(xv, a31);
                    }
                }
            }
        }
        a00.intoArray(tile, 0);
        a10.intoArray(tile, L);
        a20.intoArray(tile, 2 * L);
        a30.intoArray(tile, 3 * L);
        a01.intoArray(tile, 4 * L);
        a11.intoArray(tile, 5 * L);
        a21.intoArray(tile, 6 * L);
        a31.intoArray(tile, 7 * L);
        for (int t = 0; t < 2; t++) {
            for (int i = 0; i < 4; i++) {
                out[oo + t * os + i] = Vec.hsum(tile, (i + 4 * t) * L);
            }
        }
    }

    @Override
    void dot4x4(MemorySegment w, long off, long rowBytes, float[] x, int xo, int xs, int n, float[] out, int oo, int os,
                float[] tile) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z;
        FloatVector a01 = z;
        FloatVector a02 = z;
        FloatVector a03 = z;
        FloatVector a10 = z;
        FloatVector a11 = z;
        FloatVector a12 = z;
        FloatVector a13 = z;
        FloatVector a20 = z;
        FloatVector a21 = z;
        FloatVector a22 = z;
        FloatVector a23 = z;
        FloatVector a30 = z;
        FloatVector a31 = z;
        FloatVector a32 = z;
        FloatVector a33 = z;
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o0 = off + (long) b * BLOCK_BYTES;
            long o1 = o0 + rowBytes;
            long o2 = o1 + rowBytes;
            long o3 = o2 + rowBytes;
            FloatVector d0 = FloatVector.broadcast(F, Vec.f16(w, o0));
            FloatVector d1 = FloatVector.broadcast(F, Vec.f16(w, o1));
            FloatVector d2 = FloatVector.broadcast(F, Vec.f16(w, o2));
            FloatVector d3 = FloatVector.broadcast(F, Vec.f16(w, o3));
            for (int half = 0; half < 2; half++) {
                int h = 2 + 16 * half;
                int k = xo + b * QK + 16 * half;
                ByteVector q0 = unit(w, o0 + h);
                ByteVector q1 = unit(w, o1 + h);
                ByteVector q2 = unit(w, o2 + h);
                ByteVector q3 = unit(w, o3 + h);
                for (int pa = 0; pa < PAIRS; pa++) {
                    for (int pb = 0; pb < PAIR; pb++) {
                        int p = 2 * pa + pb;
                        // each row's part decoded once, then FMA'd into the sums of all four vectors
                        FloatVector w0 = part(w, o0 + h, q0, p).mul(d0);
                        FloatVector w1 = part(w, o1 + h, q1, p).mul(d1);
                        FloatVector w2 = part(w, o2 + h, q2, p).mul(d2);
                        FloatVector w3 = part(w, o3 + h, q3, p).mul(d3);
                        int kp = k + p * L;
                        FloatVector xv;
                        xv = FloatVector.fromArray(F, x, kp);
                        a00 = w0.fma(xv, a00);
                        a10 = w1.fma(xv, a10);
                        a20 = w2.fma(xv, a20);
                        a30 = w3.fma(xv, a30);
                        xv = FloatVector.fromArray(F, x, kp + xs);
                        a01 = w0.fma(xv, a01);
                        a11 = w1.fma(xv, a11);
                        a21 = w2.fma(xv, a21);
                        a31 = w3.fma(xv, a31);
                        xv = FloatVector.fromArray(F, x, kp + 2 * xs);
                        a02 = w0.fma(xv, a02);
                        a12 = w1.fma(xv, a12);
                        a22 = w2.fma(xv, a22);
                        a32 = w3.fma(xv, a32);
                        xv = FloatVector.fromArray(F, x, kp + 3 * xs);
                        a03 = w0.fma(xv, a03);
                        a13 = w1.fma(xv, a13);
                        a23 = w2.fma(xv, a23);
                        a33 = w3.fma(xv, a33);
                    }
                }
            }
        }
        // stored, then reduced as hsum does (sixteen hsum calls would not all be inlined)
        a00.intoArray(tile, 0);
        a10.intoArray(tile, L);
        a20.intoArray(tile, 2 * L);
        a30.intoArray(tile, 3 * L);
        a01.intoArray(tile, 4 * L);
        a11.intoArray(tile, 5 * L);
        a21.intoArray(tile, 6 * L);
        a31.intoArray(tile, 7 * L);
        a02.intoArray(tile, 8 * L);
        a12.intoArray(tile, 9 * L);
        a22.intoArray(tile, 10 * L);
        a32.intoArray(tile, 11 * L);
        a03.intoArray(tile, 12 * L);
        a13.intoArray(tile, 13 * L);
        a23.intoArray(tile, 14 * L);
        a33.intoArray(tile, 15 * L);
        for (int t = 0; t < 4; t++) {
            for (int i = 0; i < 4; i++) {
                out[oo + t * os + i] = Vec.hsum(tile, (i + 4 * t) * L);
            }
        }
    }

    @Override
    void dot4x3(MemorySegment w, long off, long rowBytes, float[] x, int xo, int xs, int n, float[] out, int oo, int os,
                float[] tile) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z;
        FloatVector a10 = z;
        FloatVector a20 = z;
        FloatVector a30 = z;
        FloatVector a01 = z;
        FloatVector a11 = z;
        FloatVector a21 = z;
        FloatVector a31 = z;
        FloatVector a02 = z;
        FloatVector a12 = z;
        FloatVector a22 = z;
        FloatVector a32 = z;
        int blocks = n / QK;
        for (int b = 0; b < blocks; b++) {
            long o0 = off + (long) b * BLOCK_BYTES;
            long o1 = o0 + rowBytes;
            long o2 = o1 + rowBytes;
            long o3 = o2 + rowBytes;
            FloatVector d0 = FloatVector.broadcast(F, Vec.f16(w, o0));
            FloatVector d1 = FloatVector.broadcast(F, Vec.f16(w, o1));
            FloatVector d2 = FloatVector.broadcast(F, Vec.f16(w, o2));
            FloatVector d3 = FloatVector.broadcast(F, Vec.f16(w, o3));
            for (int half = 0; half < 2; half++) {
                int h = 2 + 16 * half;
                int k = xo + b * QK + 16 * half;
                ByteVector q0 = unit(w, o0 + h);
                ByteVector q1 = unit(w, o1 + h);
                ByteVector q2 = unit(w, o2 + h);
                ByteVector q3 = unit(w, o3 + h);
                for (int pa = 0; pa < PAIRS; pa++) {
                    for (int pb = 0; pb < PAIR; pb++) {
                        int p = 2 * pa + pb;
                        FloatVector w0 = part(w, o0 + h, q0, p).mul(d0);
                        FloatVector w1 = part(w, o1 + h, q1, p).mul(d1);
                        FloatVector w2 = part(w, o2 + h, q2, p).mul(d2);
                        FloatVector w3 = part(w, o3 + h, q3, p).mul(d3);
                        int kp = k + p * L;
                        FloatVector xv;
                        xv = FloatVector.fromArray(F, x, kp);
                        a00 = w0.fma(xv, a00);
                        a10 = w1.fma(xv, a10);
                        a20 = w2.fma(xv, a20);
                        a30 = w3.fma(xv, a30);
                        xv = FloatVector.fromArray(F, x, kp + xs);
                        a01 = w0.fma(xv, a01);
                        a11 = w1.fma(xv, a11);
                        a21 = w2.fma(xv, a21);
                        a31 = w3.fma(xv, a31);
                        xv = FloatVector.fromArray(F, x, kp + 2 * xs);
                        a02 = w0.fma(xv, a02);
                        a12 = w1.fma(xv, a12);
                        a22 = w2.fma(xv, a22);
                        a32 = w3.fma(xv, a32);
                    }
                }
            }
        }
        a00.intoArray(tile, 0);
        a10.intoArray(tile, 1 * L);
        a20.intoArray(tile, 2 * L);
        a30.intoArray(tile, 3 * L);
        a01.intoArray(tile, 4 * L);
        a11.intoArray(tile, 5 * L);
        a21.intoArray(tile, 6 * L);
        a31.intoArray(tile, 7 * L);
        a02.intoArray(tile, 8 * L);
        a12.intoArray(tile, 9 * L);
        a22.intoArray(tile, 10 * L);
        a32.intoArray(tile, 11 * L);
        for (int t = 0; t < 3; t++) {
            for (int i = 0; i < 4; i++) {
                out[oo + t * os + i] = Vec.hsum(tile, (i + 4 * t) * L);
            }
        }
    }

    @Override
    boolean decodesThreeTokensAtOnce() {
        return true;
    }

    @Override
    boolean spreadsRowsOfAPass() {
        return true;
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
