package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.L;
import static dev.switchyard.kernels.cpu.Vec.PARTS;

import dev.switchyard.kernels.format.GgmlType;
import dev.switchyard.kernels.format.IQGrid;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * IQ1_S rows (50-byte super-blocks of 256: f16 d, per group of eight the low eight bits of an
 * 11-bit grid index, per block of 32 a word with the top index bits, a 3-bit scale and the shift's
 * sign; see IQ1_SCodec). The shifted values {@code v = 8 (grid +- 1/8)} are whole numbers (one
 * table over both shifts), scaled by an eighth of the block's {@code d * (2 s + 1)}: a power of
 * two, so the products are the codec's bit for bit.
 *
 * <p>The vector kernels take a point's eight values from one int of the table {@link #NIBBLES},
 * {@code (v - 1) / 2} in nibble j, made int lanes by shifts and then floats of the same shape
 * ({@link #values}): no byte widening, whose conversions cost the JIT so many IR nodes while it
 * parses that a kernel with four sums outgrew its inlining budget and boxed its vectors, and which
 * is slow at 128 bits. The int table, 16 KB, is half the byte table that only the scalar twin reads.
 */
final class IQ1_SDot extends GridDot {

    private static final int BLOCK_BYTES = 50;
    private static final int QS = 2;
    private static final int QH = 34;
    /** Points shifted up, then shifted down, as bytes {@code v}: entry index + 2048 * shift bit (for the scalar twin). */
    static final long[] SHIFTED = IQLanes.shifted(IQGrid.IQ1_S);
    /** The same entries as eight nibbles, {@code (v - 1) / 2} (-5..4) for each byte v of {@link #SHIFTED}. */
    static final int[] NIBBLES = nibbles(SHIFTED);

    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    /** Left shifts taking nibble {@code j % 8} of an int to its top four bits, for value j of sixteen. */
    private static final int[] TO_TOP = new int[16];
    /** Lanes 8..15 of a 16-lane vector: where the second point goes. */
    private static final VectorMask<Integer> SECOND_EIGHT = VectorMask.fromLong(I, L == 16 ? 0xFF00L : 0L);
    /** Each lane's partner 8, 4, 2 and 1 lanes away (masked to a lane of the vector: unused where too few). */
    private static final VectorShuffle<Float> XOR8 = VectorShuffle.fromOp(F, i -> (i ^ 8) & (L - 1));
    private static final VectorShuffle<Float> XOR4 = VectorShuffle.fromOp(F, i -> (i ^ 4) & (L - 1));
    private static final VectorShuffle<Float> XOR2 = VectorShuffle.fromOp(F, i -> i ^ 2);
    private static final VectorShuffle<Float> XOR1 = VectorShuffle.fromOp(F, i -> i ^ 1);

    static {
        for (int j = 0; j < 16; j++) {
            TO_TOP[j] = 28 - 4 * (j % 8);
        }
    }

    @Override
    GgmlType type() {
        return GgmlType.IQ1_S;
    }

    @Override
    int blockBytes() {
        return BLOCK_BYTES;
    }

    private static int[] nibbles(long[] bytes) {
        int[] t = new int[bytes.length];
        for (int e = 0; e < bytes.length; e++) {
            int packed = 0;
            for (int j = 0; j < 8; j++) {
                int v = IQLanes.lane(bytes[e], j);
                packed |= ((v - 1) >> 1 & 15) << (4 * j);
            }
            t[e] = packed;
        }
        return t;
    }

    /**
     * Float lanes {@code [p L, p L + L)} (p below {@link Vec#PARTS}) of sixteen shifted values: the
     * eight of {@link #NIBBLES} entry {@code a}, then those of {@code b}. Each lane's nibble is
     * shifted to the top of the lane, then made a value by {@link #fromTop}. Exact in ints and as
     * floats. This and its helpers are kept within the size the JIT inlines at call sites that its
     * profile does not show as hot (35 bytes of bytecode): a kernel compiled while its profile is
     * still young inlines them too, rather than boxing the vectors they return.
     */
    static FloatVector values(int a, int b, int p) {
        return fromTop(points(a, b, p).lanewise(VectorOperators.LSHL, IntVector.fromArray(I, TO_TOP, (p * L) & 7)));
    }

    /** Each lane of part p holds the int of the point its value belongs to. */
    private static IntVector points(int a, int b, int p) {
        return L == 16 ? both(a, b) : IntVector.broadcast(I, pointOf(a, b, p));
    }

    /** Below 16 lanes, the one point part p's values belong to. */
    private static int pointOf(int a, int b, int p) {
        return p * L < 8 ? a : b;
    }

    private static IntVector both(int a, int b) {
        return IntVector.broadcast(I, a).blend(b, SECOND_EIGHT);
    }

    /**
     * The nibble at the top of each lane, n, as the value {@code 2 n + 1}: shifted back down with its
     * sign by 27 rather than 28, which leaves {@code 2 n} and a stray bit from the nibble below, and
     * the {@code | 1} covers that bit.
     */
    private static FloatVector fromTop(IntVector top) {
        return (FloatVector) top.lanewise(VectorOperators.ASHR, 27).or(1).convert(VectorOperators.I2F, 0);
    }

    /**
     * {@link Vec#hsum}: the same additions in the same order (lane 0 ends as
     * {@code (q0 + q2) + (q1 + q3)}, q the halves added down to four lanes), by adding lanes to
     * their partners 8, 4, 2 and 1 apart. In place of Vec.hsum for the four sums of {@link #dots}:
     * Vec.hsum takes its halves by shape changes whose slicing the JIT, deep in the inlining, may
     * leave as calls, boxing the vectors.
     */
    static float sum(FloatVector v) {
        if (L == 16) {
            v = v.add(v.rearrange(XOR8));
        }
        if (L >= 8) {
            v = v.add(v.rearrange(XOR4));
        }
        v = v.add(v.rearrange(XOR2));
        return v.add(v.rearrange(XOR1)).lane(0);
    }

    private static int qh(MemorySegment w, long o, int ib) {
        return Short.toUnsignedInt(w.get(Vec.LE_SHORT, o + QH + 2 * ib));
    }

    /** Block ib's four low index bytes, group l in byte l. */
    private static int qs(MemorySegment w, long o, int ib) {
        return w.get(Vec.LE_INT, o + QS + 4 * ib);
    }

    /** An eighth of block ib's scale, for the values of {@link #SHIFTED} and {@link #NIBBLES}. */
    private static float scale(float d, int qh) {
        return d * (2 * ((qh >>> 12) & 7) + 1) * 0.125f;
    }

    /** The table entry of group l of a block: its 11-bit grid index, and 2048 if shifted down. */
    private static int entry(int qs, int qh, int l) {
        return (qs >>> (8 * l)) & 0xFF | ((qh >>> (3 * l)) & 7) << 8 | (qh >>> 15) << 11;
    }

    @Override
    long groupAt(MemorySegment w, long o, int g) {
        return SHIFTED[entry(qs(w, o, g >> 2), qh(w, o, g >> 2), g & 3)];
    }

    @Override
    float groupScale(MemorySegment w, long o, int g) {
        return scale(Vec.f16(w, o), qh(w, o, g >> 2));
    }

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o);
            for (int ib = 0; ib < 8; ib++) {
                int qs = qs(w, o, ib);
                int qh = qh(w, o, ib);
                FloatVector s = FloatVector.broadcast(F, scale(d, qh));
                for (int h = 0; h < 2; h++) {
                    int first = NIBBLES[entry(qs, qh, 2 * h)];
                    int second = NIBBLES[entry(qs, qh, 2 * h + 1)];
                    int k = xo + b * QK + 32 * ib + 16 * h;
                    for (int p = 0; p < PARTS; p++) {
                        acc = values(first, second, p).mul(s).fma(FloatVector.fromArray(F, x, k + p * L), acc);
                    }
                }
            }
        }
        return Vec.hsum(acc);
    }

    /**
     * Each half-block decoded once, folded into the four sums in dot's order. The sums are reduced
     * by one call site of {@link #sum} in a loop: four written out outgrow the JIT's inlining budget.
     */
    @Override
    void dots(MemorySegment w, long off, float[] x, int xo, int d1, int d2, int d3, int n, float[] out, int oo, int os) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o);
            for (int ib = 0; ib < 8; ib++) {
                int qs = qs(w, o, ib);
                int qh = qh(w, o, ib);
                FloatVector s = FloatVector.broadcast(F, scale(d, qh));
                for (int h = 0; h < 2; h++) {
                    int first = NIBBLES[entry(qs, qh, 2 * h)];
                    int second = NIBBLES[entry(qs, qh, 2 * h + 1)];
                    int k = xo + b * QK + 32 * ib + 16 * h;
                    for (int p = 0; p < PARTS; p++) {
                        FloatVector v = values(first, second, p).mul(s);
                        int kp = k + p * L;
                        a0 = v.fma(FloatVector.fromArray(F, x, kp), a0);
                        a1 = v.fma(FloatVector.fromArray(F, x, kp + d1), a1);
                        a2 = v.fma(FloatVector.fromArray(F, x, kp + d2), a2);
                        a3 = v.fma(FloatVector.fromArray(F, x, kp + d3), a3);
                    }
                }
            }
        }
        for (int t = 0; t < 4; t++) {
            out[oo + t * os] = sum(t == 0 ? a0 : t == 1 ? a1 : t == 2 ? a2 : a3);
        }
    }

    @Override
    void decodeChunks(MemorySegment w, long off, float[] dst, int dstOff, int stride, int n) {
        int unit = PARTS * stride;
        for (int b = 0; b < n / QK; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o);
            for (int ib = 0; ib < 8; ib++) {
                int qs = qs(w, o, ib);
                int qh = qh(w, o, ib);
                FloatVector s = FloatVector.broadcast(F, scale(d, qh));
                for (int h = 0; h < 2; h++) {
                    int first = NIBBLES[entry(qs, qh, 2 * h)];
                    int second = NIBBLES[entry(qs, qh, 2 * h + 1)];
                    int k = dstOff + (16 * b + 2 * ib + h) * unit;
                    for (int p = 0; p < PARTS; p++) {
                        values(first, second, p).mul(s).intoArray(dst, k + p * stride);
                    }
                }
            }
        }
    }
}
