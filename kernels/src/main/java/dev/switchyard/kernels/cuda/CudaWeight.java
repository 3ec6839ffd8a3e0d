package dev.switchyard.kernels.cuda;

import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A weight tensor copied once into device memory in its file encoding (ggml blocks, unchanged):
 * matrix m's row r starts at {@code pointer + m * matrixBytes + r * rowBytes}.
 */
public final class CudaWeight implements Weight {

    private final GgmlType type;
    private final int rows;
    private final int cols;
    private final int count;
    private final long rowBytes;
    private final long matrixBytes;
    private final long pointer;

    CudaWeight(CudaContext ctx, GgmlType type, MemorySegment data, long[] dims) {
        if (dims == null || dims.length < 1 || dims.length > 3) {
            throw new IllegalArgumentException("weight dims must be [cols], [cols, rows] or [cols, rows, count]");
        }
        long c = dims[0];
        long r = dims.length > 1 ? dims[1] : 1;
        long n = dims.length > 2 ? dims[2] : 1;
        if (c <= 0 || r <= 0 || n <= 0 || c > Integer.MAX_VALUE || r > Integer.MAX_VALUE || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("bad weight dims " + Arrays.toString(dims));
        }
        if (!CudaKernels.supports(type)) {
            throw new UnsupportedOperationException("the CUDA backend has no kernels for " + type + " weights (it has "
                    + CudaKernels.supportedTypes() + ")");
        }
        long rb = type.byteSize(c);
        if (rb < 0) {
            throw new IllegalArgumentException(type + " rows need a multiple of " + type.blockSize() + " columns, got " + c);
        }
        this.type = type;
        this.cols = (int) c;
        this.rows = (int) r;
        this.count = (int) n;
        this.rowBytes = rb;
        this.matrixBytes = Math.multiplyExact(rb, r);
        long bytes = Math.multiplyExact(matrixBytes, n);
        if (data.byteSize() < bytes) {
            throw new IllegalArgumentException("weight needs " + bytes + " bytes, segment has " + data.byteSize());
        }
        ctx.makeCurrent();
        this.pointer = ctx.allocate(bytes);
        if (data.isNative()) {
            ctx.upload(data, pointer, bytes);
        } else {
            // The driver reads host memory by address: a heap segment goes through a native copy.
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment copy = arena.allocate(bytes, 16);
                copy.copyFrom(data.asSlice(0, bytes));
                ctx.upload(copy, pointer, bytes);
            }
        }
    }

    @Override
    public GgmlType type() {
        return type;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public int count() {
        return count;
    }

    long rowBytes() {
        return rowBytes;
    }

    /** Device address of matrix {@code matrix}'s first row. */
    long matrix(int matrix) {
        return pointer + matrix * matrixBytes;
    }

    @Override
    public String toString() {
        return "CudaWeight[" + type + " " + rows + " x " + cols + (count > 1 ? " x " + count : "") + "]";
    }
}
