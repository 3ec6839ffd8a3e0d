package dev.switchyard.kernels.cpu;

import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.WeightShape;
import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;

/**
 * A weight tensor used in place: the segment it was given (typically a read-only view on a
 * memory-mapped GGUF file; never copied), its format's kernel, and the byte strides of its rows
 * and of the matrices of a stack.
 */
public final class CpuWeight implements Weight {

    private final GgmlType type;
    private final int rows;
    private final int cols;
    private final int count;
    private final MemorySegment data;
    private final long rowBytes;
    private final long matrixBytes;
    private final DotKernel kernel;

    CpuWeight(GgmlType type, MemorySegment data, long[] dims) {
        WeightShape shape = WeightShape.of(type, dims, data.byteSize(), DotKernel::forType);
        this.kernel = DotKernel.forType(type);
        this.type = type;
        this.cols = shape.cols();
        this.rows = shape.rows();
        this.count = shape.count();
        this.rowBytes = shape.rowBytes();
        this.matrixBytes = shape.matrixBytes();
        this.data = data;
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

    /** The bytes, as given. */
    public MemorySegment data() {
        return data;
    }

    /** Bytes from one row to the next. */
    public long rowBytes() {
        return rowBytes;
    }

    /** Bytes from one matrix of the stack to the next. */
    public long matrixBytes() {
        return matrixBytes;
    }

    DotKernel kernel() {
        return kernel;
    }

    /** Byte offset of row {@code row} of matrix {@code matrix}. */
    long rowOffset(int matrix, int row) {
        return matrix * matrixBytes + row * rowBytes;
    }

    @Override
    public String toString() {
        return "CpuWeight[" + type + " " + rows + " x " + cols + (count > 1 ? " x " + count : "") + "]";
    }
}
