package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.B16;
import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.L;
import static dev.switchyard.kernels.cpu.Vec.PARTS;

import dev.switchyard.kernels.KvQ8;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

/**
 * Widens a Q8_0 KV cache's bytes to floats for attention, which then reads them as it reads a
 * float cache: each element q x d exactly (a byte times a half's value is exact in float), sixteen
 * bytes at a time.
 */
final class Q8KvWiden {

    private Q8KvWiden() {
    }

    /**
     * A row of {@code n} elements, element i at {@code q[qo + i]} being element {@code first + i}
     * of its KV head, whose group g's scale is {@code scales[so + g]}, into {@code dst[d ..]}.
     */
    static void row(byte[] q, int qo, short[] scales, int so, int first, float[] dst, int d, int n) {
        for (int i = 0; i < n; ) {
            int group = (first + i) / KvQ8.GROUP;
            int end = Math.min(n, (group + 1) * KvQ8.GROUP - first);
            FloatVector s = FloatVector.broadcast(F, Float.float16ToFloat(scales[so + group]));
            i = scaled(q, qo, s, dst, d, i, end);
        }
    }

    /**
     * A block's keys stored by dimension ({@link CpuKvStorage#keyIndex}): {@code width} dimensions
     * of {@code blockSize} slots from {@code q[qo ..]}, dimension k's slots scaled by their group's
     * scales {@code scales[so + (k / 32) * blockSize ..]}, into {@code dst[0 .. width * blockSize)};
     * {@code widenedScales} (at least groups x blockSize floats) holds the scales as floats meanwhile.
     */
    static void block(byte[] q, int qo, short[] scales, int so, int blockSize, int width, float[] dst,
                      float[] widenedScales) {
        int groups = KvQ8.groups(width);
        for (int i = 0; i < groups * blockSize; i++) {
            widenedScales[i] = Float.float16ToFloat(scales[so + i]);
        }
        for (int k = 0; k < width; k++) {
            int s = k / KvQ8.GROUP * blockSize;
            int o = 0;
            int at = k * blockSize;
            for (; o + 16 <= blockSize; o += 16) {
                ByteVector sixteen = ByteVector.fromArray(B16, q, qo + at + o);
                // parts as constants, so that each conversion folds (see Vec)
                Vec.widen(sixteen, 0).mul(FloatVector.fromArray(F, widenedScales, s + o)).intoArray(dst, at + o);
                if (PARTS > 1) {
                    Vec.widen(sixteen, 1).mul(FloatVector.fromArray(F, widenedScales, s + o + L))
                            .intoArray(dst, at + o + L);
                }
                if (PARTS > 2) {
                    Vec.widen(sixteen, 2).mul(FloatVector.fromArray(F, widenedScales, s + o + 2 * L))
                            .intoArray(dst, at + o + 2 * L);
                    Vec.widen(sixteen, 3).mul(FloatVector.fromArray(F, widenedScales, s + o + 3 * L))
                            .intoArray(dst, at + o + 3 * L);
                }
            }
            for (; o < blockSize; o++) {
                dst[at + o] = q[qo + at + o] * widenedScales[s + o];
            }
        }
    }

    /** dst[d + i] = q[qo + i] x s for i in [from, to); returns to. */
    private static int scaled(byte[] q, int qo, FloatVector s, float[] dst, int d, int from, int to) {
        int i = from;
        for (; i + 16 <= to; i += 16) {
            ByteVector sixteen = ByteVector.fromArray(B16, q, qo + i);
            Vec.widen(sixteen, 0).mul(s).intoArray(dst, d + i);
            if (PARTS > 1) {
                Vec.widen(sixteen, 1).mul(s).intoArray(dst, d + i + L);
            }
            if (PARTS > 2) {
                Vec.widen(sixteen, 2).mul(s).intoArray(dst, d + i + 2 * L);
                Vec.widen(sixteen, 3).mul(s).intoArray(dst, d + i + 3 * L);
            }
        }
        float scale = s.lane(0);
        for (; i < to; i++) {
            dst[d + i] = q[qo + i] * scale;
        }
        return to;
    }
}
