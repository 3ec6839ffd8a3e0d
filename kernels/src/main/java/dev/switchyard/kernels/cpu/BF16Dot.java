package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.L;
import static dev.switchyard.kernels.cpu.Vec.LE;
import static dev.switchyard.kernels.cpu.Vec.LE_SHORT;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/** BF16 rows: the upper halves of floats; widening is a shift by 16 (exact). */
final class BF16Dot extends DotKernel {

    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(16 * L));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());

    @Override
    GgmlType type() {
        return GgmlType.BF16;
    }

    /** L bf16 values at byte {@code o} as floats. */
    static FloatVector load(MemorySegment w, long o) {
        ShortVector h = ShortVector.fromMemorySegment(S, w, o, LE);
        IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
        return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static float scalar(MemorySegment w, long o) {
        return Float.intBitsToFloat(w.get(LE_SHORT, o) << 16);
    }

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int k = 0;
        for (; k + L <= n; k += L) {
            acc = load(w, off + 2L * k).fma(FloatVector.fromArray(F, x, xo + k), acc);
        }
        float s = Vec.hsum(acc);
        for (; k < n; k++) {
            s = Math.fma(scalar(w, off + 2L * k), x[xo + k], s);
        }
        return s;
    }

    @Override
    float dotScalar(MemorySegment w, long off, float[] x, int xo, int n) {
        float s = 0f;
        for (int k = 0; k < n; k++) {
            s += scalar(w, off + 2L * k) * x[xo + k];
        }
        return s;
    }

    @Override
    void decodeChunks(MemorySegment w, long off, float[] dst, int dstOff, int stride, int n) {
        int nc = n / L;
        for (int c = 0; c < nc; c++) {
            load(w, off + 2L * c * L).intoArray(dst, dstOff + c * stride);
        }
    }

    @Override
    float value(MemorySegment w, long off, int k) {
        return scalar(w, off + 2L * k);
    }
}
