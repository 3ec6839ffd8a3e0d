package dev.switchyard.kernels.cuda;

import dev.switchyard.kernels.FloatMatrix;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/** A {@link FloatMatrix} in device memory: {@code rows x cols} floats, row-major, row r at {@code pointer + 4 r cols}. */
public final class CudaMatrix implements FloatMatrix {

    private final CudaContext ctx;
    private final long pointer;
    private final int rows;
    private final int cols;

    CudaMatrix(CudaContext ctx, int rows, int cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("bad matrix shape " + rows + " x " + cols);
        }
        this.ctx = ctx;
        this.rows = rows;
        this.cols = cols;
        this.pointer = ctx.allocate(4L * rows * cols);
    }

    long pointer() {
        return pointer;
    }

    /** Device address of row {@code r}. */
    long row(int r) {
        return pointer + 4L * r * cols;
    }

    CudaContext context() {
        return ctx;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    /** Waits for the work queued so far, then copies row {@code r} to the host. */
    @Override
    public void readRow(int r, float[] dst) {
        Objects.checkIndex(r, rows);
        ctx.makeCurrent();
        MemorySegment host = ctx.hostBuffer(4L * cols);
        ctx.download(row(r), host, 4L * cols);
        MemorySegment.copy(host, ValueLayout.JAVA_FLOAT, 0, dst, 0, cols);
    }

    @Override
    public void readRows(int first, int count, float[][] dst) {
        Objects.checkFromIndexSize(first, count, rows);
        if (count == 0) {
            return;
        }
        ctx.makeCurrent();
        long rowBytes = 4L * cols;
        MemorySegment host = ctx.hostBuffer(rowBytes * count);
        ctx.download(row(first), host, rowBytes * count);
        for (int i = 0; i < count; i++) {
            MemorySegment.copy(host, ValueLayout.JAVA_FLOAT, i * rowBytes, dst[first + i], 0, cols);
        }
    }

    @Override
    public void writeRow(int r, float[] src) {
        Objects.checkIndex(r, rows);
        ctx.makeCurrent();
        MemorySegment host = ctx.hostBuffer(4L * cols);
        MemorySegment.copy(src, 0, host, ValueLayout.JAVA_FLOAT, 0, cols);
        ctx.upload(host, row(r), 4L * cols);
    }

    @Override
    public String toString() {
        return "CudaMatrix[" + rows + " x " + cols + "]";
    }
}
