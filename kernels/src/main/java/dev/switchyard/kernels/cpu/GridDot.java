package dev.switchyard.kernels.cpu;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;

/**
 * What the grid formats' row kernels (IQ1, IQ2, IQ3) share. Decoding a group of eight values (a
 * table lookup and its signs) costs more than folding it into a sum, so each format's
 * {@link #dots} decodes a half-block once for four sums; two or three tokens take it too, the
 * spare sums going to a token already counted. Each sum is bitwise its token's {@link #dot} (the
 * same FMAs in the same order). The scalar twin decodes group by group through
 * {@link #groupAt} and {@link #groupScale}, which are not on a hot path.
 */
abstract sealed class GridDot extends DotKernel permits IQ2_XXSDot, IQ2_XSDot, IQ2_SDot, IQ3_XXSDot, IQ3_SDot, IQ1_SDot,
        IQ1_MDot {

    static final int QK = 256;

    /** Bytes per super-block of 256 values. */
    abstract int blockBytes();

    /** Group g (0..31) of the super-block at byte o, value j as the signed byte j (eight times the value for IQ1). */
    abstract long groupAt(MemorySegment w, long o, int g);

    /** What group g's bytes are multiplied by, computed as the codec computes it. */
    abstract float groupScale(MemorySegment w, long o, int g);

    /**
     * The dots of one row with the four vectors at {@code x[xo]}, {@code x[xo + d1]},
     * {@code x[xo + d2]} and {@code x[xo + d3]}, written to {@code out[oo + t * os]}.
     */
    abstract void dots(MemorySegment w, long off, float[] x, int xo, int d1, int d2, int d3, int n, float[] out, int oo,
                       int os);

    /** Lane i to lane i - n (mod L): brings the upper half, quarter or eighth of a vector down. */
    private static final VectorShuffle<Float> DOWN_8 = VectorShuffle.iota(Vec.F, 8 % Vec.L, 1, true);
    private static final VectorShuffle<Float> DOWN_4 = VectorShuffle.iota(Vec.F, 4 % Vec.L, 1, true);
    private static final VectorShuffle<Float> DOWN_2 = VectorShuffle.iota(Vec.F, 2, 1, true);

    /**
     * {@link Vec#hsum} by the same additions in the same order, so the same result: at each step
     * lane i plus the lane that many places above it, brought down by a constant shuffle, where
     * {@link Vec#hsum} adds a vector's halves. Those halves (of 512 and 256 bits) cost the JIT so
     * many IR nodes while it parses a kernel that, in a process that has run many kernels, some
     * vectors of {@link #dots} were boxed.
     */
    static float hsum(FloatVector v) {
        if (Vec.L == 16) {
            v = v.add(v.rearrange(DOWN_8));
        }
        if (Vec.L >= 8) {
            v = v.add(v.rearrange(DOWN_4));
        }
        v = v.add(v.rearrange(DOWN_2));
        return v.lane(0) + v.lane(1);
    }

    @Override
    final void dot4(MemorySegment w, long off, float[] x, int xo, int xs, int n, float[] out, int oo, int os) {
        dots(w, off, x, xo, xs, 2 * xs, 3 * xs, n, out, oo, os);
    }

    /** Each of four rows with two vectors in one pass of {@link #dots} (the last two sums repeat them, into {@code tile}). */
    @Override
    final void dot4x2(MemorySegment w, long off, long rowBytes, float[] x, int xo, int xs, int n, float[] out, int oo,
                      int os, float[] tile) {
        for (int i = 0; i < 4; i++) {
            dots(w, off + i * rowBytes, x, xo, xs, 0, xs, n, tile, 0, 1);
            out[oo + i] = tile[0];
            out[oo + os + i] = tile[1];
        }
    }

    /** Each of four rows with three vectors in one pass of {@link #dots} (the fourth sum repeats the first). */
    @Override
    final void dot4x3(MemorySegment w, long off, long rowBytes, float[] x, int xo, int xs, int n, float[] out, int oo,
                      int os, float[] tile) {
        for (int i = 0; i < 4; i++) {
            dots(w, off + i * rowBytes, x, xo, xs, 2 * xs, 0, n, tile, 0, 1);
            out[oo + i] = tile[0];
            out[oo + os + i] = tile[1];
            out[oo + 2 * os + i] = tile[2];
        }
    }

    @Override
    final boolean decodesThreeTokensAtOnce() {
        return true;
    }

    /** The plain loop over the same decoding: group by group, value by value. */
    @Override
    final float dotScalar(MemorySegment w, long off, float[] x, int xo, int n) {
        float s = 0f;
        for (int b = 0; b < n / QK; b++) {
            long o = off + (long) b * blockBytes();
            for (int g = 0; g < 32; g++) {
                float scale = groupScale(w, o, g);
                long v = groupAt(w, o, g);
                int k = xo + b * QK + 8 * g;
                for (int j = 0; j < 8; j++) {
                    s += scale * IQLanes.lane(v, j) * x[k + j];
                }
            }
        }
        return s;
    }
}
