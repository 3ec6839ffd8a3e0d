package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.L;
import static dev.switchyard.kernels.cpu.Vec.PARTS;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * IQ1_M rows (56-byte super-blocks of 256: per group of eight the low eight bits of an 11-bit grid
 * index, a nibble with the top index bits and the shift's sign, a 3-bit scale per half-block, and
 * d spread over the scale words' top nibbles; see IQ1_MCodec). As {@link IQ1_SDot}: the shifted
 * values, from its int table of nibbles ({@link IQ1_SDot#values}), times an eighth of the
 * half-block's {@code d * (2 s + 1)}. The four scale words are one 64-bit load and the sixteen
 * nibbles two, per super-block; a half-block's two index bytes are one 16-bit load.
 */
final class IQ1_MDot extends GridDot {

    private static final int BLOCK_BYTES = 56;
    private static final int QH = 32;
    private static final int SC = 48;

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

    /** The nibbles of the eight half-blocks of one half of a super-block (h = u / 8). */
    private static long qh(MemorySegment w, long o, int h) {
        return w.get(Vec.LE_LONG, o + QH + 8 * h);
    }

    /** Half-block u's two low index bytes, group 2 u in the low one. */
    private static int indexPair(MemorySegment w, long o, int u) {
        return w.get(Vec.LE_SHORT, o + 2 * u);
    }

    /**
     * The table entry ({@link IQ1_SDot#SHIFTED}, {@link IQ1_SDot#NIBBLES}) of group g, from its
     * index byte and its nibble (at bit 4 (g % 16) of {@code qh}): the nibble's shift bit lands on
     * the entry's 2048.
     */
    private static int entry(int indexByte, long qh, int g) {
        return indexByte & 0xFF | ((int) (qh >>> (4 * (g & 15))) & 15) << 8;
    }

    @Override
    long groupAt(MemorySegment w, long o, int g) {
        int pair = indexPair(w, o, g >> 1);
        return IQ1_SDot.SHIFTED[entry(pair >>> (8 * (g & 1)), qh(w, o, g >> 4), g)];
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
                long qh = qh(w, o, u >> 3);
                int pair = indexPair(w, o, u);
                int first = IQ1_SDot.NIBBLES[entry(pair, qh, 2 * u)];
                int second = IQ1_SDot.NIBBLES[entry(pair >>> 8, qh, 2 * u + 1)];
                FloatVector s = FloatVector.broadcast(F, scale(sc, d, u));
                int k = xo + b * QK + 16 * u;
                for (int p = 0; p < PARTS; p++) {
                    acc = IQ1_SDot.values(first, second, p).mul(s).fma(FloatVector.fromArray(F, x, k + p * L), acc);
                }
            }
        }
        return Vec.hsum(acc);
    }

    /**
     * Each half-block decoded once, folded into the four sums in dot's order. The sums are reduced
     * by one call site of {@link IQ1_SDot#sum} in a loop: four written out outgrow the JIT's
     * inlining budget.
     */
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
                long qh = qh(w, o, u >> 3);
                int pair = indexPair(w, o, u);
                int first = IQ1_SDot.NIBBLES[entry(pair, qh, 2 * u)];
                int second = IQ1_SDot.NIBBLES[entry(pair >>> 8, qh, 2 * u + 1)];
                FloatVector s = FloatVector.broadcast(F, scale(sc, d, u));
                int k = xo + b * QK + 16 * u;
                for (int p = 0; p < PARTS; p++) {
                    FloatVector v = IQ1_SDot.values(first, second, p).mul(s);
                    int kp = k + p * L;
                    a0 = v.fma(FloatVector.fromArray(F, x, kp), a0);
                    a1 = v.fma(FloatVector.fromArray(F, x, kp + d1), a1);
                    a2 = v.fma(FloatVector.fromArray(F, x, kp + d2), a2);
                    a3 = v.fma(FloatVector.fromArray(F, x, kp + d3), a3);
                }
            }
        }
        for (int t = 0; t < 4; t++) {
            out[oo + t * os] = IQ1_SDot.sum(t == 0 ? a0 : t == 1 ? a1 : t == 2 ? a2 : a3);
        }
    }

    @Override
    void decodeChunks(MemorySegment w, long off, float[] dst, int dstOff, int stride, int n) {
        int unit = PARTS * stride;
        for (int b = 0; b < n / QK; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            long sc = w.get(Vec.LE_LONG, o + SC);
            float d = superScale(sc);
            for (int u = 0; u < 16; u++) {
                long qh = qh(w, o, u >> 3);
                int pair = indexPair(w, o, u);
                int first = IQ1_SDot.NIBBLES[entry(pair, qh, 2 * u)];
                int second = IQ1_SDot.NIBBLES[entry(pair >>> 8, qh, 2 * u + 1)];
                FloatVector s = FloatVector.broadcast(F, scale(sc, d, u));
                int k = dstOff + (16 * b + u) * unit;
                for (int p = 0; p < PARTS; p++) {
                    IQ1_SDot.values(first, second, p).mul(s).intoArray(dst, k + p * stride);
                }
            }
        }
    }
}
