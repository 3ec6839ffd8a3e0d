package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.L;

import jdk.incubator.vector.FloatVector;

/**
 * Dot products of float arrays in the canonical order (see {@link Vec}): the kernels behind
 * multi-token matmuls (weight rows decoded to floats once, then reused for every token),
 * attention, and the order that every weight format's single-token kernel reproduces.
 *
 * <p>The blocked kernels compute several (row, token) pairs at once, each bitwise equal to
 * {@link #dot}: they share loads, not arithmetic. They read panels ({@link #pack4}) in which four
 * rows (or four tokens) are interleaved chunk by chunk: two sequential streams instead of eight
 * rows 4 KiB apart keep the FMA unit near its peak, where plain rows reach about half of it.
 */
final class FloatDot {

    private FloatDot() {
    }

    /** {@code sum w[wo + k] * x[xo + k]} for k below n, in the canonical order. */
    static float dot(float[] w, int wo, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int k = 0;
        for (; k + L <= n; k += L) {
            acc = FloatVector.fromArray(F, w, wo + k).fma(FloatVector.fromArray(F, x, xo + k), acc);
        }
        float s = Vec.hsum(acc);
        for (; k < n; k++) {
            s = Math.fma(w[wo + k], x[xo + k], s);
        }
        return s;
    }

    /**
     * {@code out[oo + h * os] = scale * dot(w, wo, x, xo + h * xStride, n)} for h below heads: one
     * row against several vectors (a cached key against the query heads that share it), each in the
     * canonical order and so equal to {@link #dot} bit for bit, four at a time: four independent
     * accumulator chains sharing the row's loads, where one dot alone waits on its single chain.
     */
    static void dotHeads(float[] w, int wo, float[] x, int xo, int xStride, int n, int heads, float scale,
                         float[] out, int oo, int os) {
        int h = 0;
        for (; h + 4 <= heads; h += 4) {
            int x0 = xo + h * xStride;
            int x1 = x0 + xStride;
            int x2 = x1 + xStride;
            int x3 = x2 + xStride;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            int k = 0;
            for (; k + L <= n; k += L) {
                FloatVector wv = FloatVector.fromArray(F, w, wo + k);
                a0 = wv.fma(FloatVector.fromArray(F, x, x0 + k), a0);
                a1 = wv.fma(FloatVector.fromArray(F, x, x1 + k), a1);
                a2 = wv.fma(FloatVector.fromArray(F, x, x2 + k), a2);
                a3 = wv.fma(FloatVector.fromArray(F, x, x3 + k), a3);
            }
            float s0 = Vec.hsum(a0);
            float s1 = Vec.hsum(a1);
            float s2 = Vec.hsum(a2);
            float s3 = Vec.hsum(a3);
            for (; k < n; k++) {
                float wk = w[wo + k];
                s0 = Math.fma(wk, x[x0 + k], s0);
                s1 = Math.fma(wk, x[x1 + k], s1);
                s2 = Math.fma(wk, x[x2 + k], s2);
                s3 = Math.fma(wk, x[x3 + k], s3);
            }
            out[oo + h * os] = s0 * scale;
            out[oo + (h + 1) * os] = s1 * scale;
            out[oo + (h + 2) * os] = s2 * scale;
            out[oo + (h + 3) * os] = s3 * scale;
        }
        for (; h < heads; h++) {
            out[oo + h * os] = dot(w, wo, x, xo + h * xStride, n) * scale;
        }
    }

    /**
     * Copies four rows of {@code nc} whole chunks into a panel: chunk c of row i goes to
     * {@code dst[dOff + (4c + i) L ..]}, so a kernel reads the four rows as one sequential stream.
     * Rows from {@code rows} on (fewer than four left) are zeros.
     */
    static void pack4(float[] src, int so, int stride, int rows, int nc, float[] dst, int dOff) {
        for (int i = 0; i < rows; i++) {
            int s = so + i * stride;
            int d = dOff + i * L;
            for (int c = 0; c < nc; c++) {
                FloatVector.fromArray(F, src, s + c * L).intoArray(dst, d + 4 * c * L);
            }
        }
        for (int i = rows; i < 4; i++) {
            for (int c = 0; c < nc; c++) {
                java.util.Arrays.fill(dst, dOff + (4 * c + i) * L, dOff + (4 * c + i + 1) * L, 0f);
            }
        }
    }

    /**
     * Four rows by four tokens from two panels ({@link #pack4}): sixteen accumulators, eight loads
     * per sixteen FMAs, two sequential streams. Stores the accumulator of row i, token j at
     * {@code tile[(i + 4j) L ..]}; the canonical sum is {@link #finish} of it.
     */
    static void dot4x4(float[] wp, int wo, float[] xp, int xo, int nc, float[] tile) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z;
        FloatVector a1 = z;
        FloatVector a2 = z;
        FloatVector a3 = z;
        FloatVector b0 = z;
        FloatVector b1 = z;
        FloatVector b2 = z;
        FloatVector b3 = z;
        FloatVector c0 = z;
        FloatVector c1 = z;
        FloatVector c2 = z;
        FloatVector c3 = z;
        FloatVector d0 = z;
        FloatVector d1 = z;
        FloatVector d2 = z;
        FloatVector d3 = z;
        int w = wo;
        int x = xo;
        for (int c = 0; c < nc; c++, w += 4 * L, x += 4 * L) {
            FloatVector va = FloatVector.fromArray(F, wp, w);
            FloatVector vb = FloatVector.fromArray(F, wp, w + L);
            FloatVector vc = FloatVector.fromArray(F, wp, w + 2 * L);
            FloatVector vd = FloatVector.fromArray(F, wp, w + 3 * L);
            FloatVector t = FloatVector.fromArray(F, xp, x);
            a0 = va.fma(t, a0);
            b0 = vb.fma(t, b0);
            c0 = vc.fma(t, c0);
            d0 = vd.fma(t, d0);
            t = FloatVector.fromArray(F, xp, x + L);
            a1 = va.fma(t, a1);
            b1 = vb.fma(t, b1);
            c1 = vc.fma(t, c1);
            d1 = vd.fma(t, d1);
            t = FloatVector.fromArray(F, xp, x + 2 * L);
            a2 = va.fma(t, a2);
            b2 = vb.fma(t, b2);
            c2 = vc.fma(t, c2);
            d2 = vd.fma(t, d2);
            t = FloatVector.fromArray(F, xp, x + 3 * L);
            a3 = va.fma(t, a3);
            b3 = vb.fma(t, b3);
            c3 = vc.fma(t, c3);
            d3 = vd.fma(t, d3);
        }
        a0.intoArray(tile, 0);
        b0.intoArray(tile, L);
        c0.intoArray(tile, 2 * L);
        d0.intoArray(tile, 3 * L);
        a1.intoArray(tile, 4 * L);
        b1.intoArray(tile, 5 * L);
        c1.intoArray(tile, 6 * L);
        d1.intoArray(tile, 7 * L);
        a2.intoArray(tile, 8 * L);
        b2.intoArray(tile, 9 * L);
        c2.intoArray(tile, 10 * L);
        d2.intoArray(tile, 11 * L);
        a3.intoArray(tile, 12 * L);
        b3.intoArray(tile, 13 * L);
        c3.intoArray(tile, 14 * L);
        d3.intoArray(tile, 15 * L);
    }

    /** Four rows of a panel by one token (plain, at {@code x[xo ..]}): accumulator of row i at {@code tile[iL ..]}. */
    static void dot4x1(float[] wp, int wo, float[] x, int xo, int nc, float[] tile) {
        FloatVector a = FloatVector.zero(F);
        FloatVector b = a;
        FloatVector c = a;
        FloatVector d = a;
        int w = wo;
        for (int k = 0; k < nc * L; k += L, w += 4 * L) {
            FloatVector t = FloatVector.fromArray(F, x, xo + k);
            a = FloatVector.fromArray(F, wp, w).fma(t, a);
            b = FloatVector.fromArray(F, wp, w + L).fma(t, b);
            c = FloatVector.fromArray(F, wp, w + 2 * L).fma(t, c);
            d = FloatVector.fromArray(F, wp, w + 3 * L).fma(t, d);
        }
        a.intoArray(tile, 0);
        b.intoArray(tile, L);
        c.intoArray(tile, 2 * L);
        d.intoArray(tile, 3 * L);
    }

    /**
     * Completes a canonical sum from a stored accumulator ({@code tile[to ..]}): its lanes reduced
     * as {@link Vec#hsum}, then the {@code len} tail values, {@code fma(w[wo + j], x[xo + j], s)}.
     */
    static float finish(float[] tile, int to, float[] w, int wo, float[] x, int xo, int len) {
        float s = Vec.hsum(tile, to);
        for (int j = 0; j < len; j++) {
            s = Math.fma(w[wo + j], x[xo + j], s);
        }
        return s;
    }

    /** Plain sequential float sum of products: the scalar path. */
    static float dotScalar(float[] w, int wo, float[] x, int xo, int n) {
        float s = 0f;
        for (int k = 0; k < n; k++) {
            s += w[wo + k] * x[xo + k];
        }
        return s;
    }
}
