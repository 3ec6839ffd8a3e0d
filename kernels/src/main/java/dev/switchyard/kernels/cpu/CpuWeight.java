package dev.switchyard.kernels.cpu;

import dev.switchyard.kernels.Weight;
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
        if (dims == null || dims.length < 1 || dims.length > 3) {
            throw new IllegalArgumentException("weight dims must be [cols], [cols, rows] or [cols, rows, count]");
        }
        long c = dims[0];
        long r = dims.length > 1 ? dims[1] : 1;
        long n = dims.length > 2 ? dims[2] : 1;
        if (c <= 0 || r <= 0 || n <= 0 || c > Integer.MAX_VALUE || r > Integer.MAX_VALUE || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("bad weight dims " + java.util.Arrays.toString(dims));
        }
        this.kernel = DotKernel.forType(type);
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
        long need = Math.multiplyExact(matrixBytes, n);
        if (data.byteSize() < need) {
            throw new IllegalArgumentException("weight needs " + need + " bytes, segment has " + data.byteSize());
        }
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
