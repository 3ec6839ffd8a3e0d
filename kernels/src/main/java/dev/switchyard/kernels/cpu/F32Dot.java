package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.L;
import static dev.switchyard.kernels.cpu.Vec.LE;
import static dev.switchyard.kernels.cpu.Vec.LE_FLOAT;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;

/**
 * F32 rows: little-endian floats, loaded straight into vectors.
 *
 * <p>The kernels pass no vector to a method of this code and get none back: the JIT boxes such a
 * vector on the heap at every call it declines to inline (its node budget spent, or the method
 * compiled on its own before the caller's profile was ripe). So {@link #dot} sums its lanes
 * itself, and the four-row kernels store their sums for {@link Vec#hsum(float[], int)}.
 */
final class F32Dot extends DotKernel {

    /** Lane j + 8, and lane j + 4, moved to lane j (identities where there are no such lanes). */
    private static final VectorShuffle<Float> UPPER_8 = VectorShuffle.fromOp(F, i -> (i ^ 8) % L);
    private static final VectorShuffle<Float> UPPER_4 = VectorShuffle.fromOp(F, i -> (i ^ 4) % L);

    @Override
    GgmlType type() {
        return GgmlType.F32;
    }

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int nk = n / L * L;
        for (int k = 0; k < nk; k += L) {
            acc = FloatVector.fromMemorySegment(F, w, off + 4L * k, LE).fma(FloatVector.fromArray(F, x, xo + k), acc);
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
            s = Math.fma(w.get(LE_FLOAT, off + 4L * k), x[xo + k], s);
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
     * Four rows by {@code tokens} (1..4) vectors, row after row: each chunk of a row loaded once
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
                FloatVector wv = FloatVector.fromMemorySegment(F, w, o + 4L * k, LE);
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
            s += w.get(LE_FLOAT, off + 4L * k) * x[xo + k];
        }
        return s;
    }

    @Override
    void decodeChunks(MemorySegment w, long off, float[] dst, int dstOff, int stride, int n) {
        int nc = n / L;
        for (int c = 0; c < nc; c++) {
            FloatVector.fromMemorySegment(F, w, off + 4L * c * L, LE).intoArray(dst, dstOff + c * stride);
        }
    }

    @Override
    float value(MemorySegment w, long off, int k) {
        return w.get(LE_FLOAT, off + 4L * k);
    }
}
