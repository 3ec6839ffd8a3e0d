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
            i = scaled(q, qo, Float.float16ToFloat(scales[so + group]), dst, d, i, end);
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
                // one conversion call site in a loop over the parts (see Vec.widen)
                for (int p = 0; p < PARTS; p++) {
                    Vec.widen(sixteen, p).mul(FloatVector.fromArray(F, widenedScales, s + o + p * L))
                            .intoArray(dst, at + o + p * L);
                }
            }
            for (; o < blockSize; o++) {
                dst[at + o] = q[qo + at + o] * widenedScales[s + o];
            }
        }
    }

    /**
     * dst[d + i] = q[qo + i] x scale for i in [from, to); returns to. The scale comes as a float and
     * is broadcast here: a vector handed to a call the JIT does not inline is boxed.
     */
    private static int scaled(byte[] q, int qo, float scale, float[] dst, int d, int from, int to) {
        FloatVector s = FloatVector.broadcast(F, scale);
        int i = from;
        for (; i + 16 <= to; i += 16) {
            ByteVector sixteen = ByteVector.fromArray(B16, q, qo + i);
            for (int p = 0; p < PARTS; p++) {
                Vec.widen(sixteen, p).mul(s).intoArray(dst, d + i + p * L);
            }
        }
        for (; i < to; i++) {
            dst[d + i] = q[qo + i] * scale;
        }
        return to;
    }
}
