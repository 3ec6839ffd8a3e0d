package dev.switchyard.kernels.cpu;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;

/**
 * Row kernels of one weight format: the dot product of a weight row (in its stored encoding, read
 * straight from a possibly memory-mapped segment) with a float vector, and exact decoding of a row.
 *
 * <p>{@link #dot} is the Vector API path and follows the canonical order of {@link Vec}, so it is
 * bitwise equal to {@code FloatDot.dot} over the row decoded by {@link #dequantize}: single-token and
 * multi-token matmuls agree exactly. {@link #dequantize} reproduces the reference codec's floats bit
 * for bit. {@link #dotScalar} is a plain loop over the same decoding, kept beside the vector code as
 * its readable twin (and tested against it).
 *
 * <p>Offsets are in bytes; {@code n} is the row length, a whole number of blocks. Stateless and
 * thread-safe.
 */
abstract sealed class DotKernel permits F32Dot, F16Dot, BF16Dot, Q8_0Dot, Q4_0Dot, Q4_1Dot, Q5_0Dot, Q5_1Dot,
        Q2_KDot, Q3_KDot, Q4_KDot, Q5_KDot, Q6_KDot, IQ4_NLDot, IQ4_XSDot, MXFP4Dot, GridDot {

    private static final DotKernel F32 = new F32Dot();
    private static final DotKernel F16 = new F16Dot();
    private static final DotKernel BF16 = new BF16Dot();
    private static final DotKernel Q8_0 = new Q8_0Dot();
    private static final DotKernel Q4_0 = new Q4_0Dot();
    private static final DotKernel Q4_1 = new Q4_1Dot();
    private static final DotKernel Q5_0 = new Q5_0Dot();
    private static final DotKernel Q5_1 = new Q5_1Dot();
    private static final DotKernel Q2_K = new Q2_KDot();
    private static final DotKernel Q3_K = new Q3_KDot();
    private static final DotKernel Q4_K = new Q4_KDot();
    private static final DotKernel Q5_K = new Q5_KDot();
    private static final DotKernel Q6_K = new Q6_KDot();
    private static final DotKernel IQ4_NL = new IQ4_NLDot();
    private static final DotKernel IQ4_XS = new IQ4_XSDot();
    private static final DotKernel MXFP4 = new MXFP4Dot();
    private static final DotKernel IQ2_XXS = new IQ2_XXSDot();
    private static final DotKernel IQ2_XS = new IQ2_XSDot();
    private static final DotKernel IQ2_S = new IQ2_SDot();
    private static final DotKernel IQ3_XXS = new IQ3_XXSDot();
    private static final DotKernel IQ3_S = new IQ3_SDot();
    private static final DotKernel IQ1_S = new IQ1_SDot();
    private static final DotKernel IQ1_M = new IQ1_MDot();

    /** The kernel for a type; throws for types without one. */
    static DotKernel forType(GgmlType type) {
        return switch (type) {
            case F32 -> F32;
            case F16 -> F16;
            case BF16 -> BF16;
            case Q8_0 -> Q8_0;
            case Q4_0 -> Q4_0;
            case Q4_1 -> Q4_1;
            case Q5_0 -> Q5_0;
            case Q5_1 -> Q5_1;
            case Q2_K -> Q2_K;
            case Q3_K -> Q3_K;
            case Q4_K -> Q4_K;
            case Q5_K -> Q5_K;
            case Q6_K -> Q6_K;
            case IQ4_NL -> IQ4_NL;
            case IQ4_XS -> IQ4_XS;
            case MXFP4 -> MXFP4;
            case IQ2_XXS -> IQ2_XXS;
            case IQ2_XS -> IQ2_XS;
            case IQ2_S -> IQ2_S;
            case IQ3_XXS -> IQ3_XXS;
            case IQ3_S -> IQ3_S;
            case IQ1_S -> IQ1_S;
            case IQ1_M -> IQ1_M;
            default -> throw new UnsupportedOperationException("no CPU kernel for tensor type " + type);
        };
    }

    abstract GgmlType type();

    /** {@code sum_k w[k] * x[xo + k]} over the row of n values at byte {@code off}: vector path. */
    abstract float dot(MemorySegment w, long off, float[] x, int xo, int n);

    /**
     * The dots of one row with four vectors at {@code x[xo + t * xs ..]} ({@code t < 4}), written to
     * {@code out[oo + t * os]}: each equal, bit for bit, to {@link #dot} of that vector. Formats
     * override it to decode each block once for all four (the same operations per vector, in the
     * same order), which is what makes a handful of tokens per expert cheaper than one at a time.
     */
    void dot4(MemorySegment w, long off, float[] x, int xo, int xs, int n, float[] out, int oo, int os) {
        for (int t = 0; t < 4; t++) {
            out[oo + t * os] = dot(w, off, x, xo + t * xs, n);
        }
    }

    /**
     * The dots of four consecutive rows ({@code rowBytes} apart from {@code off}) with one vector,
     * written to {@code out[oo + i]}: each equal, bit for bit, to {@link #dot} of that row
     * ({@code tile}: scratch of {@code 4 L} floats or more). Four
     * independent FMA chains instead of one: a single dot waits on its one accumulator (4 cycles a
     * chunk), which is what bounds single-token decode; formats override it to interleave them.
     */
    void dot4Rows(MemorySegment w, long off, long rowBytes, float[] x, int xo, int n, float[] out, int oo, float[] tile) {
        for (int i = 0; i < 4; i++) {
            out[oo + i] = dot(w, off + i * rowBytes, x, xo, n);
        }
    }

    /**
     * Four consecutive rows by four vectors ({@code x[xo + t * xs ..]}): row i with vector t to
     * {@code out[oo + t * os + i]}, each bitwise {@link #dot}. {@code tile} is scratch of
     * {@code 16 L} floats. Formats override it to decode each block of the four rows once for the
     * four vectors and to load each vector once for the four rows.
     */
    void dot4x4(MemorySegment w, long off, long rowBytes, float[] x, int xo, int xs, int n, float[] out, int oo, int os,
                float[] tile) {
        for (int i = 0; i < 4; i++) {
            dot4(w, off + i * rowBytes, x, xo, xs, n, out, oo + i, os);
        }
    }

    /**
     * As {@link #dot4x4} for two vectors ({@code tile}: scratch of {@code 8 L} floats or more):
     * experts that see two or three tokens of a step decode each block once for two of them.
     */
    void dot4x2(MemorySegment w, long off, long rowBytes, float[] x, int xo, int xs, int n, float[] out, int oo, int os,
                float[] tile) {
        dot4Rows(w, off, rowBytes, x, xo, n, out, oo, tile);
        dot4Rows(w, off, rowBytes, x, xo + xs, n, out, oo + os, tile);
    }

    /**
     * As {@link #dot4x4} for three vectors ({@code tile}: scratch of {@code 12 L} floats or more):
     * an expert with three tokens of a step decodes each block once instead of twice.
     */
    void dot4x3(MemorySegment w, long off, long rowBytes, float[] x, int xo, int xs, int n, float[] out, int oo, int os,
                float[] tile) {
        dot4x2(w, off, rowBytes, x, xo, xs, n, out, oo, os, tile);
        dot4Rows(w, off, rowBytes, x, xo + 2 * xs, n, out, oo + 2 * os, tile);
    }

    /**
     * Whether the few-token matmul should give a pass four rows a quarter of the thread's run
     * apart rather than four adjacent rows: worth it where decoding is cheap enough for the pass to
     * wait on memory, so that four long row streams keep the hardware prefetcher busy (Q8_0).
     * Results are bitwise the same either way.
     */
    boolean spreadsRowsOfAPass() {
        return false;
    }

    /** Whether {@link #dot4x3} decodes once (else it only composes {@link #dot4x2} and {@link #dot4Rows}). */
    boolean decodesThreeTokensAtOnce() {
        return false;
    }

    /** The same sum by a plain scalar loop (sequential float accumulation). */
    abstract float dotScalar(MemorySegment w, long off, float[] x, int xo, int n);

    /**
     * Decodes the row's {@code n / L} whole L-value chunks, exactly: chunk c to
     * {@code dst[dstOff + c * stride ..]} (stride {@code L}: a plain row; {@code 4L}: one row of a
     * four-row panel, see {@code FloatDot.pack4}). The {@code n mod L} values after them are left
     * to {@link #value}.
     */
    abstract void decodeChunks(MemorySegment w, long off, float[] dst, int dstOff, int stride, int n);

    /**
     * Value k of the row, decoded alone; only asked for the tail after the whole chunks, which
     * only plain float rows have (a quantized row is whole 32-value blocks).
     */
    float value(MemorySegment w, long off, int k) {
        throw new UnsupportedOperationException(type() + " rows are whole blocks");
    }

    /** Decodes the row of n values at byte {@code off} into {@code dst[dstOff ..]}, exactly. */
    final void dequantize(MemorySegment w, long off, float[] dst, int dstOff, int n) {
        decodeChunks(w, off, dst, dstOff, Vec.L, n);
        for (int k = n / Vec.L * Vec.L; k < n; k++) {
            dst[dstOff + k] = value(w, off, k);
        }
    }
}
