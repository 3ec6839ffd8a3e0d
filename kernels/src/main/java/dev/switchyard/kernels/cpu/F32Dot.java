package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.L;
import static dev.switchyard.kernels.cpu.Vec.LE;
import static dev.switchyard.kernels.cpu.Vec.LE_FLOAT;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/** F32 rows: little-endian floats, loaded straight into vectors. */
final class F32Dot extends DotKernel {

    @Override
    GgmlType type() {
        return GgmlType.F32;
    }

    @Override
    float dot(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int k = 0;
        for (; k + L <= n; k += L) {
            acc = FloatVector.fromMemorySegment(F, w, off + 4L * k, LE).fma(FloatVector.fromArray(F, x, xo + k), acc);
        }
        float s = Vec.hsum(acc);
        for (; k < n; k++) {
            s = Math.fma(w.get(LE_FLOAT, off + 4L * k), x[xo + k], s);
        }
        return s;
    }

    @Override
    float dotScalar(MemorySegment w, long off, float[] x, int xo, int n) {
        float s = 0f;
        for (int k = 0; k < n; k++) {
            s += w.get(LE_FLOAT, off + 4L * k) * x[xo + k];
        }
        return s;
    }

    @Override
    void decodeChunks(MemorySegment w, long off, float[] dst, int dstOff, int stride, int n) {
        int nc = n / L;
        for (int c = 0; c < nc; c++) {
            FloatVector.fromMemorySegment(F, w, off + 4L * c * L, LE).intoArray(dst, dstOff + c * stride);
        }
    }

    @Override
    float value(MemorySegment w, long off, int k) {
        return w.get(LE_FLOAT, off + 4L * k);
    }
}
