package dev.switchyard.kernels;

import dev.switchyard.kernels.format.GgmlType;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * A weight's checked shape, as every backend reads ggml dims {@code [cols]}, {@code [cols, rows]}
 * or {@code [cols, rows, count]}: positive int-sized dims, a type the backend computes with, whole
 * blocks per row, and enough bytes behind it.
 */
public record WeightShape(GgmlType type, int rows, int cols, int count, long rowBytes, long matrixBytes) {

    /** Bytes of the whole stack. */
    public long bytes() {
        return matrixBytes * count;
    }

    /**
     * @param available      bytes the weight's data holds
     * @param refuseType     throws for a type the backend has no kernels for (checked once the dims are)
     */
    public static WeightShape of(GgmlType type, long[] dims, long available, Consumer<GgmlType> refuseType) {
        if (dims == null || dims.length < 1 || dims.length > 3) {
            throw new IllegalArgumentException("weight dims must be [cols], [cols, rows] or [cols, rows, count]");
        }
        long c = dims[0];
        long r = dims.length > 1 ? dims[1] : 1;
        long n = dims.length > 2 ? dims[2] : 1;
        if (c <= 0 || r <= 0 || n <= 0 || c > Integer.MAX_VALUE || r > Integer.MAX_VALUE || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("bad weight dims " + Arrays.toString(dims));
        }
        refuseType.accept(type);
        long rb = type.byteSize(c);
        if (rb < 0) {
            throw new IllegalArgumentException(type + " rows need a multiple of " + type.blockSize() + " columns, got " + c);
        }
        long matrixBytes = Math.multiplyExact(rb, r);
        long bytes = Math.multiplyExact(matrixBytes, n);
        if (available < bytes) {
            throw new IllegalArgumentException("weight needs " + bytes + " bytes, segment has " + available);
        }
        return new WeightShape(type, (int) r, (int) c, (int) n, rb, matrixBytes);
    }
}
