package dev.switchyard.kernels.cuda;

import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A weight tensor in device memory in its file encoding (ggml blocks, unchanged): copied once into
 * an allocation of its own, or a view over bytes already on the device (an expert slot). Matrix m's
 * row r starts at {@code pointer + m * matrixBytes + r * rowBytes}.
 */
public final class CudaWeight implements Weight {

    private final GgmlType type;
    private final int rows;
    private final int cols;
    private final int count;
    private final long rowBytes;
    private final long matrixBytes;
    private final long pointer;

    /** Copies {@code data} into a device allocation of its own. */
    CudaWeight(CudaContext ctx, GgmlType type, MemorySegment data, long[] dims) {
        this(Shape.of(type, dims, data.byteSize()), ctx, data);
    }

    private CudaWeight(Shape shape, CudaContext ctx, MemorySegment data) {
        this(shape, upload(ctx, data, shape.bytes()));
    }

    private CudaWeight(Shape shape, long pointer) {
        this.type = shape.type;
        this.rows = shape.rows;
        this.cols = shape.cols;
        this.count = shape.count;
        this.rowBytes = shape.rowBytes;
        this.matrixBytes = shape.matrixBytes;
        this.pointer = pointer;
    }

    /**
     * A weight over bytes already in device memory at {@code pointer} (an expert slot), of which
     * {@code available} may be read: no copy, and nothing of its own to free.
     */
    static CudaWeight at(long pointer, long available, GgmlType type, long[] dims) {
        return new CudaWeight(Shape.of(type, dims, available), pointer);
    }

    private static long upload(CudaContext ctx, MemorySegment data, long bytes) {
        ctx.makeCurrent();
        long pointer = ctx.allocate(bytes);
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
        return pointer;
    }

    /** A checked shape: dims, a type the kernels take, whole blocks per row, enough bytes. */
    private record Shape(GgmlType type, int rows, int cols, int count, long rowBytes, long matrixBytes) {

        long bytes() {
            return matrixBytes * count;
        }

        static Shape of(GgmlType type, long[] dims, long available) {
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
            long matrixBytes = Math.multiplyExact(rb, r);
            long bytes = Math.multiplyExact(matrixBytes, n);
            if (available < bytes) {
                throw new IllegalArgumentException("weight needs " + bytes + " bytes, segment has " + available);
            }
            return new Shape(type, (int) r, (int) c, (int) n, rb, matrixBytes);
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
