package dev.switchyard.kernels.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The passes over a row of logits that sampling, log-probabilities and the CPU backend's best-token
 * search make once per token and sequence, over the whole vocabulary (152k entries for Qwen), whose
 * cost is the exponential: the sum of exponentials, the exponentials themselves, and the
 * inverse-CDF search over them.
 *
 * <p>{@link #exp} is our own, in double: {@code 2^n e^r} with {@code n} the nearest integer to
 * {@code x / ln 2}, {@code r} reduced in two steps (Cody and Waite's split of ln 2) and {@code e^r}
 * by its Taylor series to degree 13 (the first term left out is below 2^-56 for
 * {@code |r| <= ln 2 / 2}), within 2 ulp of the exact value. The vector passes run exactly the same
 * operations lane by lane, each an IEEE operation rounded once (add, multiply, fused multiply-add,
 * exact conversions), and add lanes in a fixed order; so, unlike the Vector API's own {@code EXP}
 * (a native library's when compiled, {@link Math#exp} when interpreted, which differ in the last
 * bit), every result is the same bits before and after the JIT compiles the code, on every
 * machine: a seeded draw never depends on how warm the process is.
 *
 * <p>No vector crosses a method call or a branch here, and each pass is one method the JIT compiles
 * on its own (they are larger than it inlines into hot callers): a vector handed to a call that is
 * not inlined is boxed, as may be one merged from two branches, and small vector scans inlined into
 * the large compiled sampler were seen to box their vectors on every iteration. So each loop is
 * written out whole, once per pass, lanes are read at constant indices, and the row's maximum and
 * other comparisons stay plain loops in the callers.
 */
public final class LogitMath {

    /** Double lanes as wide as the float kernels' vectors. */
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class,
            VectorShape.forBitSize(Vec.F.vectorBitSize()));
    /** Float lanes as many as {@link #D}'s, to widen from and narrow to. */
    private static final VectorSpecies<Float> HALF = VectorSpecies.of(float.class,
            VectorShape.forBitSize(Vec.F.vectorBitSize() / 2));
    private static final int N = D.length();

    /** Below this {@link #exp} is 0: e^-708 is just above the smallest normal double. */
    static final double LOWEST = -708.0;
    /**
     * Whether the vectors hold two doubles (128 bits). There lanes are zeroed by their bits rather
     * than by a compare and a blend: x86 has no such intrinsic for two doubles, and boxed every lane
     * (the constant folds, so each pass compiles one way only, and no vector merges two branches).
     */
    private static final boolean TWO_LANES = N == 2;
    /** The bits of +infinity: a double's bits without its sign above these are NaN. */
    private static final long INFINITY_BITS = Double.doubleToRawLongBits(Double.POSITIVE_INFINITY);
    private static final double LOG2E = 1.4426950408889634;
    /** 1.5 * 2^52: adding it rounds a double of magnitude below 2^51 to an integer. */
    private static final double ROUNDER = 6755399441055744.0;
    /** ln 2 split so that {@code n * LN2_HI} is exact for the n that occur. */
    private static final double LN2_HI = 6.93147180369123816490e-01;
    private static final double LN2_LO = 1.90821492927058770002e-10;
    /** 1/13!, 1/12!, ..., 1/1!, 1/0!: Horner's order. */
    private static final double[] TAYLOR = taylor();
    private static final DoubleVector T13 = DoubleVector.broadcast(D, TAYLOR[0]);
    private static final DoubleVector T12 = DoubleVector.broadcast(D, TAYLOR[1]);
    private static final DoubleVector T11 = DoubleVector.broadcast(D, TAYLOR[2]);
    private static final DoubleVector T10 = DoubleVector.broadcast(D, TAYLOR[3]);
    private static final DoubleVector T9 = DoubleVector.broadcast(D, TAYLOR[4]);
    private static final DoubleVector T8 = DoubleVector.broadcast(D, TAYLOR[5]);
    private static final DoubleVector T7 = DoubleVector.broadcast(D, TAYLOR[6]);
    private static final DoubleVector T6 = DoubleVector.broadcast(D, TAYLOR[7]);
    private static final DoubleVector T5 = DoubleVector.broadcast(D, TAYLOR[8]);
    private static final DoubleVector T4 = DoubleVector.broadcast(D, TAYLOR[9]);
    private static final DoubleVector T3 = DoubleVector.broadcast(D, TAYLOR[10]);
    private static final DoubleVector T2 = DoubleVector.broadcast(D, TAYLOR[11]);
    private static final DoubleVector T1 = DoubleVector.broadcast(D, TAYLOR[12]);
    private static final DoubleVector T0 = DoubleVector.broadcast(D, TAYLOR[13]);
    private static final DoubleVector MINUS_LN2_HI = DoubleVector.broadcast(D, -LN2_HI);
    private static final DoubleVector MINUS_LN2_LO = DoubleVector.broadcast(D, -LN2_LO);

    private LogitMath() {
    }

    private static double[] taylor() {
        double[] c = new double[14];
        double factorial = 1;
        for (int k = 0; k <= 13; k++) {
            factorial = k == 0 ? 1 : factorial * k;
            c[13 - k] = 1 / factorial;
        }
        return c;
    }

    /** Double lanes per vector pass: the order {@link #sumExp} adds in. */
    static int lanes() {
        return N;
    }

    /** e^x for x at most 0 (and for -infinity, 0), within 2 ulp; the same bits as the vector passes give. */
    public static double exp(double x) {
        if (!(x >= LOWEST)) {
            return 0;
        }
        double n = Math.fma(x, LOG2E, ROUNDER) - ROUNDER;
        double r = Math.fma(n, -LN2_LO, Math.fma(n, -LN2_HI, x));
        double p = TAYLOR[0];
        for (int i = 1; i < TAYLOR.length; i++) {
            p = Math.fma(p, r, TAYLOR[i]);
        }
        return p * Double.longBitsToDouble(((long) n + 1023) << 52);
    }

    /**
     * Inverse-CDF search: the first index {@code i < count} at which {@code w[0] + ... + w[i]}
     * exceeds {@code target}, or -1. The running sum is kept per block of 16 vectors (each block's
     * total added lane by lane, then its lanes in order), and a block that does not reach the target
     * is passed whole, so the search reads each weight about once with few dependent additions.
     */
    public static int walk(float[] w, int count, double target) {
        VectorSpecies<Float> f = Vec.F;
        int block = 16 * f.length();
        double cumulative = 0;
        int i = 0;
        for (; i + block <= count; i += block) {
            FloatVector acc = FloatVector.fromArray(f, w, i);
            for (int j = i + f.length(); j < i + block; j += f.length()) {
                acc = acc.add(FloatVector.fromArray(f, w, j));
            }
            // the lanes in order, each at a constant index (see the class comment on calls)
            double blockSum = (double) acc.lane(0) + acc.lane(1) + acc.lane(2) + acc.lane(3);
            if (f.length() >= 8) {
                blockSum = blockSum + acc.lane(4) + acc.lane(5) + acc.lane(6) + acc.lane(7);
            }
            if (f.length() == 16) {
                blockSum = blockSum + acc.lane(8) + acc.lane(9) + acc.lane(10) + acc.lane(11) + acc.lane(12)
                        + acc.lane(13) + acc.lane(14) + acc.lane(15);
            }
            if (cumulative + blockSum > target) {
                break; // it is in this block (float sums can round below: then it is found further on)
            }
            cumulative += blockSum;
        }
        for (; i < count; i++) {
            cumulative += w[i];
            if (cumulative > target) {
                return i;
            }
        }
        return -1;
    }

    /** {@code sum exp(x[i] - shift)} over {@code x[from .. from + count)}, with {@code shift} at least their maximum. */
    public static double sumExp(float[] x, int from, int count, double shift) {
        DoubleVector acc = DoubleVector.zero(D);
        int i = 0;
        for (int bound = count - count % N; i < bound; i += N) {
            DoubleVector v = ((DoubleVector) FloatVector.fromArray(HALF, x, from + i)
                    .convertShape(VectorOperators.F2D, D, 0)).sub(shift);
            // exp(v), as exp(double) computes it
            DoubleVector rounded = v.fma(LOG2E, ROUNDER);
            DoubleVector n = rounded.sub(ROUNDER);
            DoubleVector r = n.fma(MINUS_LN2_LO, n.fma(MINUS_LN2_HI, v));
            DoubleVector p = r.fma(T13, T12).fma(r, T11).fma(r, T10).fma(r, T9).fma(r, T8).fma(r, T7).fma(r, T6)
                    .fma(r, T5).fma(r, T4).fma(r, T3).fma(r, T2).fma(r, T1).fma(r, T0);
            // (long) n + 1023 << 52 without a double-to-long conversion, which AVX2 lacks: n sits in
            // the low bits of n + ROUNDER (2^52 + 2^51), and the shift keeps only those
            LongVector bits = rounded.reinterpretAsLongs().add(1023L).lanewise(VectorOperators.LSHL, 52);
            DoubleVector e = p.mul(bits.reinterpretAsDoubles());
            // lanes below LOWEST, and NaN, to +0 as exp(double) returns them
            if (TWO_LANES) {
                // by their bits: all ones where v - LOWEST has a clear sign bit and v is a number
                LongVector below = v.sub(LOWEST).reinterpretAsLongs().lanewise(VectorOperators.LSHR, 63).neg();
                LongVector nan = v.reinterpretAsLongs().and(Long.MAX_VALUE).neg().add(INFINITY_BITS)
                        .lanewise(VectorOperators.LSHR, 63).neg();
                e = e.reinterpretAsLongs().and(below.or(nan).not()).reinterpretAsDoubles();
            } else {
                e = e.blend(0.0, v.compare(VectorOperators.GE, LOWEST).not());
            }
            acc = acc.add(e);
        }
        double sum = acc.lane(0) + acc.lane(1); // the lanes in order
        if (N >= 4) {
            sum = sum + acc.lane(2) + acc.lane(3);
        }
        if (N == 8) {
            sum = sum + acc.lane(4) + acc.lane(5) + acc.lane(6) + acc.lane(7);
        }
        for (; i < count; i++) {
            sum += exp((double) x[from + i] - shift);
        }
        return sum;
    }

    /**
     * {@code out[i] = (float) exp((x[i] - shift) * scale)} for {@code i < count}, with
     * {@code (x[i] - shift) * scale} at most 0 (a positive finite {@code scale}); returns the sum of
     * what was written (the floats, added in double).
     */
    public static double expInto(float[] x, int count, double shift, double scale, float[] out) {
        DoubleVector acc = DoubleVector.zero(D);
        int i = 0;
        for (int bound = count - count % N; i < bound; i += N) {
            DoubleVector v = ((DoubleVector) FloatVector.fromArray(HALF, x, i)
                    .convertShape(VectorOperators.F2D, D, 0)).sub(shift).mul(scale);
            // exp(v), as exp(double) computes it
            DoubleVector rounded = v.fma(LOG2E, ROUNDER);
            DoubleVector n = rounded.sub(ROUNDER);
            DoubleVector r = n.fma(MINUS_LN2_LO, n.fma(MINUS_LN2_HI, v));
            DoubleVector p = r.fma(T13, T12).fma(r, T11).fma(r, T10).fma(r, T9).fma(r, T8).fma(r, T7).fma(r, T6)
                    .fma(r, T5).fma(r, T4).fma(r, T3).fma(r, T2).fma(r, T1).fma(r, T0);
            // (long) n + 1023 << 52 without a double-to-long conversion, which AVX2 lacks: n sits in
            // the low bits of n + ROUNDER (2^52 + 2^51), and the shift keeps only those
            LongVector bits = rounded.reinterpretAsLongs().add(1023L).lanewise(VectorOperators.LSHL, 52);
            DoubleVector e = p.mul(bits.reinterpretAsDoubles());
            // lanes below LOWEST, and NaN, to +0 as exp(double) returns them (as in sumExp)
            if (TWO_LANES) {
                LongVector below = v.sub(LOWEST).reinterpretAsLongs().lanewise(VectorOperators.LSHR, 63).neg();
                LongVector nan = v.reinterpretAsLongs().and(Long.MAX_VALUE).neg().add(INFINITY_BITS)
                        .lanewise(VectorOperators.LSHR, 63).neg();
                e = e.reinterpretAsLongs().and(below.or(nan).not()).reinterpretAsDoubles();
            } else {
                e = e.blend(0.0, v.compare(VectorOperators.GE, LOWEST).not());
            }
            FloatVector w = (FloatVector) e.convertShape(VectorOperators.D2F, HALF, 0);
            w.intoArray(out, i);
            acc = acc.add(w.convertShape(VectorOperators.F2D, D, 0));
        }
        double sum = acc.lane(0) + acc.lane(1); // the lanes in order
        if (N >= 4) {
            sum = sum + acc.lane(2) + acc.lane(3);
        }
        if (N == 8) {
            sum = sum + acc.lane(4) + acc.lane(5) + acc.lane(6) + acc.lane(7);
        }
        for (; i < count; i++) {
            float w = (float) exp(((double) x[i] - shift) * scale);
            out[i] = w;
            sum += w;
        }
        return sum;
    }
}
