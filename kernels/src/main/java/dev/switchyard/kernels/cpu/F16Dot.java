package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.L;
import static dev.switchyard.kernels.cpu.Vec.LE;
import static dev.switchyard.kernels.cpu.Vec.LE_SHORT;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * F16 rows: little-endian IEEE halves. The Vector API has no half-to-float conversion, so lanes are
 * widened with integer arithmetic: the sign-extended half shifted left by 13 has the sign in bit 31
 * (copies of it in bits 28..30, cleared) and the exponent and mantissa in a float's places, a float
 * 2^112 too small for normal halves and exactly right after scaling, for subnormal halves too;
 * exponent 31 (infinities, NaN) gets the all-ones exponent instead. Exact, like
 * {@link Float#float16ToFloat} (NaN payloads aside).
 *
 * <p>The kernels pass no vector to a method of this code and get none back: the JIT boxes such a
 * vector on the heap at every call it declines to inline (its node budget spent, or the method
 * compiled on its own before the caller's profile was ripe). So the widening is written out in
 * {@link #dot}, {@link #rows} and {@link #decodeChunks} (a helper storing its floats would box
 * nothing, but where the JIT declined it, a call per chunk made decodeChunks four times slower),
 * {@link #dot} sums its lanes itself, and the four-row kernels store their sums for
 * {@link Vec#hsum(float[], int)}.
 */
final class F16Dot extends DotKernel {

    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(16 * L));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());

    /** Lane j + 8, and lane j + 4, moved to lane j (identities where there are no such lanes). */
    private static final VectorShuffle<Float> UPPER_8 = VectorShuffle.fromOp(F, i -> (i ^ 8) % L);
    private static final VectorShuffle<Float> UPPER_4 = VectorShuffle.fromOp(F, i -> (i ^ 4) % L);

    @Override
    GgmlType type() {
        return GgmlType.F16;
    }

    /**
     * Widens {@code n} halves at {@code src[so ..]} into floats at {@code dst[d ..]}, exactly. A plain
     * loop: C2 turns it into the CPU's own half conversion (VCVTPH2PS) a vector at a time, three
     * times as fast here as the integer widening below (2048 halves in 77 against 241 ns).
     */
    static void widen(short[] src, int so, float[] dst, int d, int n) {
        for (int i = 0; i < n; i++) {
            dst[d + i] = Float.float16ToFloat(src[so + i]);
        }
    }

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int nk = n / L * L;
        for (int k = 0; k < nk; k += L) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S, w, off + 2L * k, LE)
                    .convertShape(VectorOperators.S2I, I, 0);
            IntVector bits = h.lanewise(VectorOperators.LSHL, 13).and(0x8fffffff);
            FloatVector v = bits.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                    .blend(bits.or(0x7f800000), h.and(0x7c00).compare(VectorOperators.EQ, 0x7c00))
                    .reinterpretAsFloats();
            acc = v.fma(FloatVector.fromArray(F, x, xo + k), acc);
        }
        // summed as Vec.hsum sums: upper half onto lower half until four lanes are left, the halves
        // lined up by a lane permutation (Vec.hsum's split of the vector into halves costs the JIT
        // several thousand IR nodes at 256 and 512 bits, a permutation a few hundred)
        if (L == 16) {
            acc = acc.add(acc.rearrange(UPPER_8));
        }
        if (L >= 8) {
            acc = acc.add(acc.rearrange(UPPER_4));
        }
        return tail(w, off, x, xo, nk, n, (acc.lane(0) + acc.lane(2)) + (acc.lane(1) + acc.lane(3)));
    }

    /** Adds the values from k on (after the whole chunks) to s with scalar FMAs, in order. */
    private static float tail(MemorySegment w, long off, float[] x, int xo, int k, int n, float s) {
        for (; k < n; k++) {
            s = Math.fma(Vec.f16(w, off + 2L * k), x[xo + k], s);
        }
        return s;
    }

    @Override
    void dot4x2(MemorySegment w, long off, long rowBytes, float[] x, int xo, int xs, int n, float[] out, int oo, int os,
                float[] tile) {
        rows(w, off, rowBytes, x, xo, xs, 2, n, out, oo, os, tile);
    }

    @Override
    void dot4x3(MemorySegment w, long off, long rowBytes, float[] x, int xo, int xs, int n, float[] out, int oo, int os,
                float[] tile) {
        rows(w, off, rowBytes, x, xo, xs, 3, n, out, oo, os, tile);
    }

    @Override
    void dot4x4(MemorySegment w, long off, long rowBytes, float[] x, int xo, int xs, int n, float[] out, int oo, int os,
                float[] tile) {
        rows(w, off, rowBytes, x, xo, xs, 4, n, out, oo, os, tile);
    }

    @Override
    boolean decodesThreeTokensAtOnce() {
        return true;
    }

    /**
     * Four rows by {@code tokens} (1..4) vectors, row after row: each chunk of a row widened once
     * and FMA'd into the sums of all the vectors (four independent chains; a missing vector's
     * chain repeats the last one's, its sum unused). The sums go through {@code tile[0, 4L)} to
     * {@link Vec#hsum(float[], int)}: one call site for all of them, no vector passed to a call.
     */
    private static void rows(MemorySegment w, long off, long rowBytes, float[] x, int xo, int xs, int tokens, int n,
                             float[] out, int oo, int os, float[] tile) {
        int x1 = xo + Math.min(1, tokens - 1) * xs;
        int x2 = xo + Math.min(2, tokens - 1) * xs;
        int x3 = xo + Math.min(3, tokens - 1) * xs;
        int nk = n / L * L;
        for (int i = 0; i < 4; i++) {
            long o = off + i * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int k = 0; k < nk; k += L) {
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S, w, o + 2L * k, LE)
                        .convertShape(VectorOperators.S2I, I, 0);
                IntVector bits = h.lanewise(VectorOperators.LSHL, 13).and(0x8fffffff);
                FloatVector wv = bits.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                        .blend(bits.or(0x7f800000), h.and(0x7c00).compare(VectorOperators.EQ, 0x7c00))
                        .reinterpretAsFloats();
                a0 = wv.fma(FloatVector.fromArray(F, x, xo + k), a0);
                a1 = wv.fma(FloatVector.fromArray(F, x, x1 + k), a1);
                a2 = wv.fma(FloatVector.fromArray(F, x, x2 + k), a2);
                a3 = wv.fma(FloatVector.fromArray(F, x, x3 + k), a3);
            }
            a0.intoArray(tile, 0);
            a1.intoArray(tile, L);
            a2.intoArray(tile, 2 * L);
            a3.intoArray(tile, 3 * L);
            for (int t = 0; t < tokens; t++) {
                out[oo + t * os + i] = tail(w, o, x, xo + t * xs, nk, n, Vec.hsum(tile, t * L));
            }
        }
    }

    @Override
    float dotScalar(MemorySegment w, long off, float[] x, int xo, int n) {
        float s = 0f;
        for (int k = 0; k < n; k++) {
            s += Float.float16ToFloat(w.get(LE_SHORT, off + 2L * k)) * x[xo + k];
        }
        return s;
    }

    @Override
    void decodeChunks(MemorySegment w, long off, float[] dst, int dstOff, int stride, int n) {
        int nc = n / L;
        for (int c = 0; c < nc; c++) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S, w, off + 2L * c * L, LE)
                    .convertShape(VectorOperators.S2I, I, 0);
            IntVector bits = h.lanewise(VectorOperators.LSHL, 13).and(0x8fffffff);
            bits.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                    .blend(bits.or(0x7f800000), h.and(0x7c00).compare(VectorOperators.EQ, 0x7c00))
                    .reinterpretAsFloats().intoArray(dst, dstOff + c * stride);
        }
    }

    @Override
    float value(MemorySegment w, long off, int k) {
        return Vec.f16(w, off + 2L * k);
    }
}
