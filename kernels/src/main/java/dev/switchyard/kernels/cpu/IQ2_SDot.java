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
 * IQ2_S rows (82-byte super-blocks of 256: f16 d, per group of eight the low eight bits of a
 * 10-bit grid index and a sign byte, two index bits per group in qh, a 4-bit scale per half-block;
 * see IQ2_SCodec). Each half-block is two signed grid points in sixteen bytes, scaled by its
 * {@code d * (0.5 + s) * 0.25}.
 */
final class IQ2_SDot extends DotKernel {

    static final int QK = 256;
    static final int BLOCK_BYTES = 82;
    private static final int QS = 2;
    private static final int SIGNS = 34;
    private static final int QH = 66;
    private static final int SCALES = 74;
    private static final long[] GRID = IQGrid.IQ2_S.packedTable();

    @Override
    GgmlType type() {
        return GgmlType.IQ2_S;
    }

    private static int u8(MemorySegment w, long o) {
        return Byte.toUnsignedInt(w.get(ValueLayout.JAVA_BYTE, o));
    }

    /** The scale of half-block u (0..15). */
    private static float scale(MemorySegment w, long o, float d, int u) {
        return d * (0.5f + ((u8(w, o + SCALES + u / 2) >>> (4 * (u & 1))) & 0x0F)) * 0.25f;
    }

    /** Group g (0..31), signed bytes. */
    private static long group(MemorySegment w, long o, int g) {
        int index = u8(w, o + QS + g) | ((u8(w, o + QH + g / 4) << (8 - 2 * (g & 3))) & 0x300);
        return IQLanes.signed(GRID[index], u8(w, o + SIGNS + g));
    }

    private static ByteVector half(MemorySegment w, long o, int u) {
        return IQLanes.pair(group(w, o, 2 * u), group(w, o, 2 * u + 1));
    }

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / QK; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o);
            for (int u = 0; u < 16; u++) {
                FloatVector db = FloatVector.broadcast(F, scale(w, o, d, u));
                acc = Vec.foldScaled(half(w, o, u), db, x, xo + b * QK + 16 * u, acc);
            }
        }
        return Vec.hsum(acc);
    }

    @Override
    void decodeChunks(MemorySegment w, long off, float[] dst, int dstOff, int stride, int n) {
        int unit = PARTS * stride;
        for (int b = 0; b < n / QK; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o);
            for (int u = 0; u < 16; u++) {
                FloatVector db = FloatVector.broadcast(F, scale(w, o, d, u));
                Vec.storeScaled(half(w, o, u), db, dst, dstOff + (16 * b + u) * unit, stride);
            }
        }
    }

    @Override
    float dotScalar(MemorySegment w, long off, float[] x, int xo, int n) {
        float s = 0f;
        for (int b = 0; b < n / QK; b++) {
            long o = off + (long) b * BLOCK_BYTES;
            float d = Vec.f16(w, o);
            for (int g = 0; g < 32; g++) {
                float db = scale(w, o, d, g / 2);
                long v = group(w, o, g);
                int k = xo + b * QK + 8 * g;
                for (int j = 0; j < 8; j++) {
                    s += db * IQLanes.lane(v, j) * x[k + j];
                }
            }
        }
        return s;
    }
}
