package dev.switchyard.kernels.cpu;

import dev.switchyard.kernels.format.IQGrid;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * What the IQ1, IQ2 and IQ3 row kernels share: a group of eight values as one long of signed
 * bytes (value j in byte j), built from a grid point's packed magnitudes and the group's sign
 * bits without a branch, and two groups joined into the sixteen bytes the {@link Vec} helpers
 * widen and scale.
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

    private IQLanes() {
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
