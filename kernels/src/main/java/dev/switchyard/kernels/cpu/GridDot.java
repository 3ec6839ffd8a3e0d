package dev.switchyard.kernels.cpu;

import java.lang.foreign.MemorySegment;

/**
 * What the grid formats' row kernels (IQ1, IQ2, IQ3) share for few-token passes. Decoding a group
 * of eight values (a table lookup and its signs) costs more than folding it into a sum, so each
 * format's {@link #dots} decodes a half-block once for four sums; two or three tokens take it
 * too, the spare sums going to a token already counted. Each sum is bitwise its token's
 * {@link #dot} (the same FMAs in the same order).
 */
abstract sealed class GridDot extends DotKernel permits IQ2_XXSDot, IQ2_XSDot, IQ2_SDot, IQ3_XXSDot, IQ3_SDot, IQ1_SDot,
        IQ1_MDot {

    /**
     * The dots of one row with the four vectors at {@code x[xo]}, {@code x[xo + d1]},
     * {@code x[xo + d2]} and {@code x[xo + d3]}, written to {@code out[oo + t * os]}.
     */
    abstract void dots(MemorySegment w, long off, float[] x, int xo, int d1, int d2, int d3, int n, float[] out, int oo,
                       int os);

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
}
