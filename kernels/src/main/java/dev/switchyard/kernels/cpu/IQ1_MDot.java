package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.PARTS;

import dev.switchyard.kernels.format.GgmlType;
import dev.switchyard.kernels.format.IQGrid;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

/**
 * IQ1_M rows (56-byte super-blocks of 256: per group of eight the low eight bits of an 11-bit grid
 * index, a nibble with the top index bits and the shift's sign, a 3-bit scale per half-block, and
 * d spread over the scale words' top nibbles; see IQ1_MCodec). As {@link IQ1_SDot}: the shifted
 * values as whole bytes times an eighth of the half-block's {@code d * (2 s + 1)}. The four scale
 * words are one 64-bit load and the sixteen nibbles two, per super-block.
 */
final class IQ1_MDot extends GridDot {

    private static final int BLOCK_BYTES = 56;
    private static final int QH = 32;
    private static final int SC = 48;
    /** Points shifted up, then shifted down: entry index + 2048 * shift bit. */
    private static final long[] SHIFTED = IQLanes.shifted(IQGrid.IQ1_S);

    @Override
    GgmlType type() {
        return GgmlType.IQ1_M;
    }

    @Override
    int blockBytes() {
        return BLOCK_BYTES;
    }

    /** d, from bits 12..15 of each of the four scale words. */
    private static float superScale(long sc) {
        int bits = (int) ((sc >>> 12) & 0xF | (sc >>> 24) & 0xF0 | (sc >>> 36) & 0xF00 | (sc >>> 48) & 0xF000);
        return Float.float16ToFloat((short) bits);
    }

    /** An eighth of half-block u's scale: word u / 4, bits 6 (u / 2 % 2) + 3 (u % 2) .. + 2. */
    private static float scale(long sc, float d, int u) {
        int s = (int) (sc >>> (16 * (u >> 2) + 6 * ((u >> 1) & 1) + 3 * (u & 1))) & 7;
        return d * (2 * s + 1) * 0.125f;
    }

    /** Group g (0..31) as eight times its shifted values; {@code qh} holds its nibble at bit 4 (g % 16). */
    private static long group(MemorySegment w, long o, long qh, int g) {
        int nibble = (int) (qh >>> (4 * (g & 15))) & 15;
        return SHIFTED[Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o + g)) | nibble << 8];
    }

    @Override
    long groupAt(MemorySegment w, long o, int g) {
        return group(w, o, w.get(Vec.LE_LONG, o + QH + 8 * (g >> 4)), g);
    }

    @Override
    float groupScale(MemorySegment w, long o, int g) {
        long sc = w.get(Vec.LE_LONG, o + SC);
        return scale(sc, superScale(sc), g >> 1);
    }

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            long sc = w.get(Vec.LE_LONG, o + SC);
            float d = superScale(sc);
            for (int u = 0; u < 16; u++) {
                long qh = w.get(Vec.LE_LONG, o + QH + 8 * (u >> 3));
                FloatVector dl = FloatVector.broadcast(F, scale(sc, d, u));
                acc = Vec.foldScaled(IQLanes.pair(group(w, o, qh, 2 * u), group(w, o, qh, 2 * u + 1)), dl, x,
                        xo + b * QK + 16 * u, acc);
            }
        }
        return Vec.hsum(acc);
    }

    /** Each half-block decoded once, folded into the four sums in dot's order. */
    @Override
    void dots(MemorySegment w, long off, float[] x, int xo, int d1, int d2, int d3, int n, float[] out, int oo, int os) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            long sc = w.get(Vec.LE_LONG, o + SC);
            float d = superScale(sc);
            for (int u = 0; u < 16; u++) {
                long qh = w.get(Vec.LE_LONG, o + QH + 8 * (u >> 3));
                ByteVector q = IQLanes.pair(group(w, o, qh, 2 * u), group(w, o, qh, 2 * u + 1));
                FloatVector s = FloatVector.broadcast(F, scale(sc, d, u));
                int k = xo + b * QK + 16 * u;
                a0 = Vec.foldScaled(q, s, x, k, a0);
                a1 = Vec.foldScaled(q, s, x, k + d1, a1);
                a2 = Vec.foldScaled(q, s, x, k + d2, a2);
                a3 = Vec.foldScaled(q, s, x, k + d3, a3);
            }
        }
        out[oo] = Vec.hsum(a0);
        out[oo + os] = Vec.hsum(a1);
        out[oo + 2 * os] = Vec.hsum(a2);
        out[oo + 3 * os] = Vec.hsum(a3);
    }

    @Override
    void decodeChunks(MemorySegment w, long off, float[] dst, int dstOff, int stride, int n) {
        int unit = PARTS * stride;
        for (int b = 0; b < n / QK; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            long sc = w.get(Vec.LE_LONG, o + SC);
            float d = superScale(sc);
            for (int u = 0; u < 16; u++) {
                long qh = w.get(Vec.LE_LONG, o + QH + 8 * (u >> 3));
                FloatVector dl = FloatVector.broadcast(F, scale(sc, d, u));
                Vec.storeScaled(IQLanes.pair(group(w, o, qh, 2 * u), group(w, o, qh, 2 * u + 1)), dl, dst,
                        dstOff + (16 * b + u) * unit, stride);
            }
        }
    }
}
