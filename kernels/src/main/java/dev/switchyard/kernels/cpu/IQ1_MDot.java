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
 * values as whole bytes times an eighth of the half-block's {@code d * (2 s + 1)}.
 */
final class IQ1_MDot extends DotKernel {

    static final int QK = 256;
    static final int BLOCK_BYTES = 56;
    private static final int QH = 32;
    private static final int SC = 48;
    private static final long[] UP = IQLanes.shifted(IQGrid.IQ1_S, 1);
    private static final long[] DOWN = IQLanes.shifted(IQGrid.IQ1_S, -1);

    @Override
    GgmlType type() {
        return GgmlType.IQ1_M;
    }

    private static int u8(MemorySegment w, long o) {
        return Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o));
    }

    private static int sc(MemorySegment w, long o, int k) {
        return Short.toUnsignedInt(w.get(Vec.LE_SHORT, o + SC + 2 * k));
    }

    private static float superScale(MemorySegment w, long o) {
        int bits = (sc(w, o, 0) >>> 12) | (sc(w, o, 1) >>> 8 & 0xF0) | (sc(w, o, 2) >>> 4 & 0xF00) | (sc(w, o, 3) & 0xF000);
        return Float.float16ToFloat((short) bits);
    }

    /** An eighth of half-block u's scale (u = 2 ib + h), for the bytes of {@link #group}. */
    private static float scale(MemorySegment w, long o, float d, int u) {
        int ib = u / 2;
        return d * (2 * ((sc(w, o, ib / 2) >>> (6 * (ib & 1) + 3 * (u & 1))) & 7) + 1) * 0.125f;
    }

    /** Group g (0..31) as eight times its shifted values. */
    private static long group(MemorySegment w, long o, int g) {
        int nibble = u8(w, o + QH + g / 2) >>> (4 * (g & 1));
        int index = u8(w, o + g) | (nibble & 7) << 8;
        return (nibble & 8) != 0 ? DOWN[index] : UP[index];
    }

    private static ByteVector half(MemorySegment w, long o, int u) {
        return IQLanes.pair(group(w, o, 2 * u), group(w, o, 2 * u + 1));
    }

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = superScale(w, o);
            for (int u = 0; u < 16; u++) {
                FloatVector dl = FloatVector.broadcast(F, scale(w, o, d, u));
                acc = Vec.foldScaled(half(w, o, u), dl, x, xo + b * QK + 16 * u, acc);
            }
        }
        return Vec.hsum(acc);
    }

    @Override
    void decodeChunks(MemorySegment w, long off, float[] dst, int dstOff, int stride, int n) {
        int unit = PARTS * stride;
        for (int b = 0; b < n / QK; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = superScale(w, o);
            for (int u = 0; u < 16; u++) {
                FloatVector dl = FloatVector.broadcast(F, scale(w, o, d, u));
                Vec.storeScaled(half(w, o, u), dl, dst, dstOff + (16 * b + u) * unit, stride);
            }
        }
    }

    @Override
    float dotScalar(MemorySegment w, long off, float[] x, int xo, int n) {
        float s = 0f;
        for (int b = 0; b < n / QK; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = superScale(w, o);
            for (int g = 0; g < 32; g++) {
                float dl = scale(w, o, d, g / 2);
                long v = group(w, o, g);
                int k = xo + b * QK + 8 * g;
                for (int j = 0; j < 8; j++) {
                    s += dl * IQLanes.lane(v, j) * x[k + j];
                }
            }
        }
        return s;
    }
}
