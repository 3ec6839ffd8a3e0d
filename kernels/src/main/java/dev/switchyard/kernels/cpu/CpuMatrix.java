package dev.switchyard.kernels.cpu;

import dev.switchyard.kernels.FloatMatrix;
import java.util.Objects;

/** A {@link FloatMatrix} on the Java heap: one {@code float[]}, row-major, {@code rows x cols}. */
public final class CpuMatrix implements FloatMatrix {

    private final int rows;
    private final int cols;
    private final float[] data;

    public CpuMatrix(int rows, int cols) {
        if (rows < 0 || cols < 0 || (long) rows * cols > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("bad matrix shape " + rows + " x " + cols);
        }
        this.rows = rows;
        this.cols = cols;
        this.data = new float[rows * cols];
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    /** The backing array (row r starts at {@code r * cols}); for kernels and tests. */
    public float[] data() {
        return data;
    }

    @Override
    public void readRow(int r, float[] dst) {
        Objects.checkIndex(r, rows);
        System.arraycopy(data, r * cols, dst, 0, cols);
    }

    @Override
    public void writeRow(int r, float[] src) {
        Objects.checkIndex(r, rows);
        System.arraycopy(src, 0, data, r * cols, cols);
    }

    @Override
    public String toString() {
        return "CpuMatrix[" + rows + " x " + cols + "]";
    }
}
