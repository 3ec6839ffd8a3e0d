package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.L;
import static dev.switchyard.kernels.cpu.Vec.PARTS;

import dev.switchyard.kernels.format.IQGrid;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * What the IQ1, IQ2 and IQ3 row kernels share: a group of eight values as one long of signed
 * bytes (value j in byte j), built from a grid point's packed magnitudes and the group's sign
 * bits without a branch, and two groups joined into the sixteen bytes the {@link Vec} helpers
 * widen and scale, or widened a vector's worth at a time ({@link #widen}).
 *
 * <p>The kernels of grids with eight-value points (IQ2_XXS, IQ2_XS, IQ2_S) take their values as
 * floats instead: a point's eight magnitudes are one vector load from a float copy of the grid,
 * its signs one load of +1 and -1 per sign bit, and their product the signed values, exactly
 * (a sign is exact). That is a load and a multiply where the bytes take a lookup, a sign mask and
 * a widening per group; only their four-token sums at 128 bits widen bytes ({@link #partOfSums}).
 * The IQ3 grids' four-value points are bytes at every width: as floats they measured no faster at
 * 256 bits, where a vector takes two points' loads joined, and slower at 128.
 */
final class IQLanes {

    private static final VectorSpecies<Long> LONGS = LongVector.SPECIES_128;
    private static final long ONES = 0x0101010101010101L;
    /** For each sign byte, 0xFF in byte j where bit j is set. */
    private static final long[] SIGN_MASKS = new long[256];

    static {
        for (int s = 0; s < 256; s++) {
            long m = 0;
            for (int j = 0; j < 8; j++) {
                if ((s & (1 << j)) != 0) {
                    m |= 0xFFL << (8 * j);
                }
            }
            SIGN_MASKS[s] = m;
        }
    }

    private static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
    /** Lanes 8..15 of a 16-lane vector: where the second point goes. */
    private static final VectorMask<Float> SECOND_EIGHT = VectorMask.fromLong(F, L == 16 ? 0xFF00L : 0L);
    /** For each sign byte, eight floats: -1 where bit j is set, else +1. */
    static final float[] SIGNS = signFloats(256, s -> s);
    /**
     * For each seven sign bits, the eight signs of {@link IQGrid#evenSigns}: the formats that store
     * seven index their signs here directly, with no parity to work out per group.
     */
    static final float[] EVEN_SIGNS = signFloats(128, IQGrid::evenSigns);

    private static float[] signFloats(int count, java.util.function.IntUnaryOperator bitsOf) {
        float[] t = new float[8 * count];
        for (int s = 0; s < count; s++) {
            int bits = bitsOf.applyAsInt(s);
            for (int j = 0; j < 8; j++) {
                t[8 * s + j] = (bits & (1 << j)) != 0 ? -1f : 1f;
            }
        }
        return t;
    }

    private IQLanes() {
    }

    /** An eight-value grid's points as floats, point e's values at {@code [8 e, 8 e + 8)}. */
    static float[] floats(IQGrid grid) {
        if (grid.dim() != 8) {
            throw new IllegalArgumentException(grid.name() + " has points of " + grid.dim() + ", not 8");
        }
        float[] t = new float[8 * grid.size()];
        for (int e = 0; e < grid.size(); e++) {
            for (int j = 0; j < 8; j++) {
                t[8 * e + j] = grid.value(e, j);
            }
        }
        return t;
    }

    /**
     * Float lanes {@code [p L, p L + L)} (p a constant below {@link Vec#PARTS}) of sixteen values:
     * point {@code a}'s eight with entry {@code sa}'s signs of {@code signs} ({@link #SIGNS} or
     * {@link #EVEN_SIGNS}), then {@code b}'s with {@code sb}'s.
     * With 16 lanes the two signed points are made in 8-lane halves and joined.
     */
    static FloatVector part(float[] grid, float[] signs, int a, int sa, int b, int sb, int p) {
        if (L == 16) {
            FloatVector lo = FloatVector.fromArray(F256, grid, 8 * a).mul(FloatVector.fromArray(F256, signs, 8 * sa));
            FloatVector hi = FloatVector.fromArray(F256, grid, 8 * b).mul(FloatVector.fromArray(F256, signs, 8 * sb));
            return ((FloatVector) lo.reinterpretShape(F, 0)).blend((FloatVector) hi.reinterpretShape(F, -1), SECOND_EIGHT);
        }
        boolean second = p >= PARTS / 2;
        int q = (p % (PARTS / 2)) * L;
        return FloatVector.fromArray(F, grid, 8 * (second ? b : a) + q)
                .mul(FloatVector.fromArray(F, signs, 8 * (second ? sb : sa) + q));
    }

    /**
     * {@link #part} for the kernels that fold each part into four sums: at 128 bits widened from the
     * points' bytes ({@code packed}, {@link IQGrid#packedTable}) instead, which measured 1.5 to 1.75
     * times faster there. Folded into one sum it measured slower for two of the three grids, so
     * single sums take {@link #part}.
     */
    static FloatVector partOfSums(float[] grid, long[] packed, float[] signs, int a, int sa, int b, int sb, int p) {
        if (L == 4) {
            return widen(signed(packed[a], signBits(signs, sa)), signed(packed[b], signBits(signs, sb)), p);
        }
        return part(grid, signs, a, sa, b, sb, p);
    }

    /**
     * The eight sign bits of entry s of a sign table: s itself in {@link #SIGNS}, s with its parity
     * bit in {@link #EVEN_SIGNS} (a constant comparison once inlined).
     */
    private static int signBits(float[] signs, int s) {
        return signs == EVEN_SIGNS ? IQGrid.evenSigns(s) : s;
    }

    /**
     * The eight magnitudes in {@code packed} (bytes 1..127) negated where the sign bit is set:
     * {@code (m ^ 0xFF) + 1} per negated byte, which never carries into the next byte while the
     * magnitude is not zero (no grid has a zero magnitude).
     */
    static long signed(long packed, int signs) {
        long mask = SIGN_MASKS[signs];
        return (packed ^ mask) + (mask & ONES);
    }

    /** Two groups as sixteen bytes: {@code lo}'s values first. */
    static ByteVector pair(long lo, long hi) {
        return LongVector.broadcast(LONGS, lo).withLane(1, hi).reinterpretAsBytes();
    }

    /**
     * Float lanes {@code [p L, p L + L)} of the sixteen signed bytes of two groups, {@code lo}'s
     * first. Below 512 bits only the part's own bytes are converted (a group at 256 bits, half a
     * group at 128), moved to the bottom of a vector and converted as part 0: the JIT parses that
     * in far fewer nodes than a part p of the two groups joined, and it takes no joining.
     */
    static FloatVector widen(long lo, long hi, int p) {
        if (L == 16) {
            return Vec.widen(pair(lo, hi), 0);
        }
        long group = p < PARTS / 2 ? lo : hi;
        long bytes = L == 8 ? group : group >>> (32 * (p & 1));
        return (FloatVector) LongVector.broadcast(LONGS, bytes).reinterpretAsBytes()
                .convertShape(VectorOperators.B2F, F, 0);
    }

    /** Byte j of a group, as a signed value. */
    static int lane(long group, int j) {
        return (byte) (group >>> (8 * j));
    }

    /**
     * An IQ1 grid's points as eight times their shifted values, {@code 8 value + 1} in each byte for
     * the points shifted up (entries 0 .. size - 1) and {@code 8 value - 1} for those shifted down
     * (entries size .. 2 size - 1): a point and its shift bit pick one entry without a branch. The
     * kernels scale the bytes by an eighth of the block's scale, which is exact (a power of two),
     * so the products are the codec's bit for bit.
     */
    static long[] shifted(IQGrid grid) {
        long[] t = new long[2 * grid.size()];
        for (int e = 0; e < grid.size(); e++) {
            long up = 0;
            long down = 0;
            for (int j = grid.dim() - 1; j >= 0; j--) {
                up = (up << 8) | ((8 * grid.value(e, j) + 1) & 0xFFL);
                down = (down << 8) | ((8 * grid.value(e, j) - 1) & 0xFFL);
            }
            t[e] = up;
            t[grid.size() + e] = down;
        }
        return t;
    }
}
