package dev.switchyard.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shape every CPU kernel uses, and the few helpers they share.
 *
 * <p>The float species is the platform's preferred one, clamped to 128..512 bits so that a 32-value
 * quantization block always spans an even number (2..8) of float vectors. The kernels are written
 * for any of the three widths; {@code -XX:MaxVectorSize=16} or {@code 32} selects the narrower ones.
 *
 * <h2>The canonical dot product</h2>
 * Every dot kernel, whatever its weight format and however many rows and tokens it serves at once,
 * computes {@code sum w[k] * x[k]} in exactly this order, which makes a token's result independent
 * of how it was batched (and of the thread that computed it):
 * <ol>
 *   <li>the weights are first decoded to floats exactly as the reference codec decodes them;</li>
 *   <li>one vector accumulator takes the {@code n / L} whole L-value chunks in increasing order,
 *       each with one FMA, {@code acc = fma(w, x, acc)};</li>
 *   <li>{@code s = hsum(acc)}, {@link #hsum} being a fixed pairwise tree;</li>
 *   <li>the last {@code n mod L} values are added with scalar FMAs in increasing order.</li>
 * </ol>
 * Only lanewise IEEE operations are used (no {@code reduceLanes}, whose order the API leaves open),
 * so interpreted and compiled code agree bit for bit. One accumulator per output means one FMA
 * dependency chain; kernels get their parallelism from several rows and tokens at once instead
 * (4 x 4 in the multi-token kernel, which runs at the FMA unit's peak), and the single-token
 * kernels are bound by decoding more than by the chain. Widths are handled by branches on the
 * constant {@link #PARTS}, which the JIT folds away, so every vector conversion sees a constant part.
 */
final class Vec {

    static final VectorSpecies<Float> F = chooseSpecies();
    /** Float lanes per vector: 4, 8 or 16. */
    static final int L = F.length();
    /** Sixteen bytes: the unit in which the quantized kernels load packed quants. */
    static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    /** Float vectors per 16 bytes widened to floats (1, 2 or 4). */
    static final int PARTS = 16 / L;

    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);

    private static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Float> F128 = FloatVector.SPECIES_128;

    private Vec() {
    }

    private static VectorSpecies<Float> chooseSpecies() {
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        bits = Math.max(128, Math.min(512, bits));
        return VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
    }

    /** Describes the vector setup for logs. */
    static String describe() {
        return F.vectorBitSize() + "-bit vectors (" + L + " floats)";
    }

    /** Sum of the lanes by a fixed tree: halves added until 128 bits, then (l0 + l2) + (l1 + l3). */
    static float hsum(FloatVector v) {
        FloatVector q;
        if (L == 16) {
            FloatVector h = ((FloatVector) v.reinterpretShape(F256, 0)).add((FloatVector) v.reinterpretShape(F256, 1));
            q = ((FloatVector) h.reinterpretShape(F128, 0)).add((FloatVector) h.reinterpretShape(F128, 1));
        } else if (L == 8) {
            q = ((FloatVector) v.reinterpretShape(F128, 0)).add((FloatVector) v.reinterpretShape(F128, 1));
        } else {
            q = v;
        }
        return (q.lane(0) + q.lane(2)) + (q.lane(1) + q.lane(3));
    }

    /**
     * {@link #hsum} of the L floats at {@code a[o ..]} (a vector stored with intoArray): the same
     * additions in the same order, so the same result. Lets kernels with many accumulators store
     * them instead of making sixteen calls the JIT would not inline (a vector passed to a call that
     * is not inlined gets boxed).
     */
    static float hsum(float[] a, int o) {
        float q0;
        float q1;
        float q2;
        float q3;
        if (L == 16) {
            q0 = (a[o] + a[o + 8]) + (a[o + 4] + a[o + 12]);
            q1 = (a[o + 1] + a[o + 9]) + (a[o + 5] + a[o + 13]);
            q2 = (a[o + 2] + a[o + 10]) + (a[o + 6] + a[o + 14]);
            q3 = (a[o + 3] + a[o + 11]) + (a[o + 7] + a[o + 15]);
        } else if (L == 8) {
            q0 = a[o] + a[o + 4];
            q1 = a[o + 1] + a[o + 5];
            q2 = a[o + 2] + a[o + 6];
            q3 = a[o + 3] + a[o + 7];
        } else {
            q0 = a[o];
            q1 = a[o + 1];
            q2 = a[o + 2];
            q3 = a[o + 3];
        }
        return (q0 + q2) + (q1 + q3);
    }

    /**
     * Float lanes {@code [part * L, part * L + L)} of sixteen (signed) bytes. The helpers call it in a
     * loop over the parts rather than once per part written out: each call site of a conversion
     * costs the JIT thousands of IR nodes while it parses, and a kernel that spends its budget
     * (C2's NodeCountInliningCutoff) gets the rest of its helpers called, not inlined, their vectors
     * boxed on the heap: several times slower at 128 and 256 bits, where a unit has 4 or 2 parts.
     */
    static FloatVector widen(ByteVector sixteen, int part) {
        return (FloatVector) sixteen.convertShape(VectorOperators.B2F, F, part);
    }

    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;

    /**
     * Float lanes {@code [p L, p L + L)} of the sixteen signed bytes at {@code o}, loaded for that
     * part alone (8 bytes below 512 bits): a conversion of a whole load, part 0 (or 1 of 8 bytes at
     * 128 bits), which the JIT parses in far fewer nodes than a part of sixteen bytes.
     */
    static FloatVector widenAt(MemorySegment w, long o, int p) {
        if (L == 16) {
            return widen(load16(w, o), 0);
        }
        if (L == 8) {
            return (FloatVector) ByteVector.fromMemorySegment(B8, w, o + 8L * p, LE).convertShape(VectorOperators.B2F, F, 0);
        }
        // four bytes as one int in every lane, each lane's byte shifted to the top and back down with its sign
        IntVector four = IntVector.broadcast(I4, w.get(LE_INT, o + 4L * p));
        return (FloatVector) four.lanewise(VectorOperators.LSHL, BYTE_TO_TOP).lanewise(VectorOperators.ASHR, 24)
                .convertShape(VectorOperators.I2F, F, 0);
    }

    private static final VectorSpecies<Integer> I4 = IntVector.SPECIES_128;
    private static final IntVector BYTE_TO_TOP = IntVector.fromArray(I4, new int[] {24, 16, 8, 0}, 0);

    /** Folds the unit {@code q * s} (16 widened bytes times a scale) against {@code x[k ..]} into acc. */
    static FloatVector foldScaled(ByteVector q, FloatVector s, float[] x, int k, FloatVector acc) {
        for (int p = 0; p < PARTS; p++) {
            acc = widen(q, p).mul(s).fma(FloatVector.fromArray(F, x, k + p * L), acc);
        }
        return acc;
    }

    /** Folds the unit {@code q * m + a} against {@code x[k ..]} into acc (one rounding per weight). */
    static FloatVector foldAffine(ByteVector q, FloatVector m, FloatVector a, float[] x, int k, FloatVector acc) {
        for (int p = 0; p < PARTS; p++) {
            acc = widen(q, p).fma(m, a).fma(FloatVector.fromArray(F, x, k + p * L), acc);
        }
        return acc;
    }

    /** Stores the unit {@code q * s}: its vector p (of 16 / L) at {@code dst[k + p * stride ..]}. */
    static void storeScaled(ByteVector q, FloatVector s, float[] dst, int k, int stride) {
        for (int p = 0; p < PARTS; p++) {
            widen(q, p).mul(s).intoArray(dst, k + p * stride);
        }
    }

    /** Stores the unit {@code q * m + a}: its vector p at {@code dst[k + p * stride ..]}. */
    static void storeAffine(ByteVector q, FloatVector m, FloatVector a, float[] dst, int k, int stride) {
        for (int p = 0; p < PARTS; p++) {
            widen(q, p).fma(m, a).intoArray(dst, k + p * stride);
        }
    }

    /**
     * {@code (q >>> shift) & mask} in every byte, for shifts of 0..7 and a mask that keeps no bit
     * shifted in from the next byte. Done in int lanes (x86 has no byte shifts, and the JIT would
     * emulate one through wider lanes), then masked per byte: the same bits.
     */
    static ByteVector bits(ByteVector q, int shift, int mask4) {
        return q.reinterpretAsInts().lanewise(VectorOperators.LSHR, shift).and(mask4).reinterpretAsBytes();
    }

    static float f16(MemorySegment s, long offset) {
        return Float.float16ToFloat(s.get(LE_SHORT, offset));
    }

    /**
     * 16 bytes, byte i = 16 when bit i of {@code bits} is set, else 0: Q5_0 and Q5_1 keep the fifth
     * bit of each value in one 32-bit word. A mask made from the low 16 bits selects the 16s (one
     * mask move on AVX-512): few enough operations that a dot kernel using it still inlines whole
     * into its caller (an int-lane spreading of the bits did not, and boxed its vectors).
     */
    static ByteVector sixteens(int bits) {
        return ByteVector.zero(B16).blend((byte) 16, VectorMask.fromLong(B16, bits & 0xFFFFL));
    }

    /** The IQ4 formats' sixteen levels (ggml's kvalues_iq4nl), as ints and as bytes for the lookup. */
    static final int[] IQ4_VALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    private static final byte[] IQ4_TABLE = table(IQ4_VALUES);
    /** MXFP4's sixteen levels: twice each nibble's FP4 E2M1 value (ggml's kvalues_mxfp4), whole numbers. */
    static final int[] MXFP4_VALUES = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
    private static final byte[] MXFP4_TABLE = table(MXFP4_VALUES);

    private static byte[] table(int[] values) {
        byte[] t = new byte[16];
        for (int i = 0; i < 16; i++) {
            t[i] = (byte) values[i];
        }
        return t;
    }

    /** The IQ4 level of each of 16 indices (0..15): one byte shuffle against the table. */
    static ByteVector iq4Levels(ByteVector indices) {
        return indices.selectFrom(ByteVector.fromArray(B16, IQ4_TABLE, 0));
    }

    /** The MXFP4 level of each of 16 nibbles (0..15), likewise. */
    static ByteVector mxfp4Levels(ByteVector nibbles) {
        return nibbles.selectFrom(ByteVector.fromArray(B16, MXFP4_TABLE, 0));
    }

    /**
     * Half the scale of an E8M0 exponent e (0..255), 2^(e - 128), built from its bits: the exponent
     * field e - 1, or for e &lt; 2 the subnormals 2^-128 and 2^-127. MXFP4's levels are twice the
     * FP4 values, so they take half the block's scale.
     */
    static float e8m0Half(int e) {
        return Float.intBitsToFloat(e < 2 ? 0x00200000 << e : (e - 1) << 23);
    }

    static ByteVector load16(MemorySegment s, long offset) {
        return ByteVector.fromMemorySegment(B16, s, offset, LE);
    }

    // ---- exp -----------------------------------------------------------------------------------

    private static final float LOG2E = 1.44269504088896341f;
    /** 1.5 * 2^23: adding and subtracting it rounds a float of magnitude below 2^22 to an integer. */
    private static final float ROUND = 12582912f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** Arguments are clamped here; n reaches 128 from about 88.4 on, and 2^128 reads as +inf. */
    private static final float EXP_HI = 88.7f;
    private static final float EXP_LO = -87.3365478515625f;
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    /**
     * e^x for each lane to a few ulp (range reduction by ln 2 to |r| &lt;= ln2 / 2, then the degree-6
     * polynomial of Cephes' expf). Arguments are clamped to [-87.3, 88.7]: below, the result is
     * about 1e-38 instead of smaller (harmless as a softmax weight or in 1 + e^x); from about 88.4
     * on (true overflow is 88.72) it is +inf, so that x / (1 + e^-x) gives the right SiLU. Built from
     * lanewise arithmetic only, so it rounds identically in every execution mode, and
     * {@link #exp(float)} applies the same steps to a single value.
     */
    static FloatVector exp(FloatVector x) {
        x = x.max(EXP_LO).min(EXP_HI);
        FloatVector n = x.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = r.fma(FloatVector.broadcast(F, P0), FloatVector.broadcast(F, P1));
        p = p.fma(r, FloatVector.broadcast(F, P2));
        p = p.fma(r, FloatVector.broadcast(F, P3));
        p = p.fma(r, FloatVector.broadcast(F, P4));
        p = p.fma(r, FloatVector.broadcast(F, P5));
        FloatVector r2 = r.mul(r);
        p = p.fma(r2, r).add(1f);
        FloatVector scale = n.convert(VectorOperators.F2I, 0).reinterpretAsInts()
                .add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(scale);
    }

    /** The scalar twin of {@link #exp(FloatVector)}: the same operations, the same results. */
    static float exp(float x) {
        x = Math.min(Math.max(x, EXP_LO), EXP_HI);
        float n = x * LOG2E + ROUND - ROUND;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float r2 = r * r;
        p = Math.fma(p, r2, r) + 1f;
        float scale = Float.intBitsToFloat(((int) n + 127) << 23);
        return p * scale;
    }
}
