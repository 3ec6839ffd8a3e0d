package dev.switchyard.kernels.cuda;

import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.WeightShape;
import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

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
        this(shape(type, dims, data.byteSize()), ctx, data);
    }

    private CudaWeight(WeightShape shape, CudaContext ctx, MemorySegment data) {
        this(shape, upload(ctx, data, shape.bytes()));
    }

    private CudaWeight(WeightShape shape, long pointer) {
        this.type = shape.type();
        this.rows = shape.rows();
        this.cols = shape.cols();
        this.count = shape.count();
        this.rowBytes = shape.rowBytes();
        this.matrixBytes = shape.matrixBytes();
        this.pointer = pointer;
    }

    /**
     * A weight over bytes already in device memory at {@code pointer} (an expert slot), of which
     * {@code available} may be read: no copy, and nothing of its own to free.
     */
    static CudaWeight at(long pointer, long available, GgmlType type, long[] dims) {
        return new CudaWeight(shape(type, dims, available), pointer);
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

    /** The shape, refusing types the kernels do not take. */
    private static WeightShape shape(GgmlType type, long[] dims, long available) {
        return WeightShape.of(type, dims, available, t -> {
            if (!CudaKernels.supports(t)) {
                throw new UnsupportedOperationException("the CUDA backend has no kernels for " + t + " weights (it has "
                        + CudaKernels.supportedTypes() + ")");
            }
        });
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

    /** Bytes from one matrix of the stack to the next. */
    long matrixBytes() {
        return matrixBytes;
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
