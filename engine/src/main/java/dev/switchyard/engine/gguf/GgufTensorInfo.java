package dev.switchyard.engine.gguf;

import dev.switchyard.kernels.format.GgmlType;
import java.util.Arrays;

/**
 * One tensor's entry in the header. {@code dims[0]} is the innermost (contiguous) dimension, as in
 * ggml: a weight {@code W} applied as {@code y = W x} with {@code x} of length n and {@code y} of
 * length d has dims {@code [n, d]}. {@code relativeOffset} counts from the start of the data
 * section; {@code absoluteOffset} from the start of the file.
 */
public record GgufTensorInfo(String name, GgmlType type, long[] dims, long relativeOffset, long absoluteOffset) {

    public GgufTensorInfo {
        dims = dims.clone();
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    public int rank() {
        return dims.length;
    }

    public long dim(int i) {
        return dims[i];
    }

    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return n;
    }

    public long byteSize() {
        return type.byteSize(elementCount());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t
                && t.name.equals(name)
                && t.type == type
                && Arrays.equals(t.dims, dims)
                && t.relativeOffset == relativeOffset
                && t.absoluteOffset == absoluteOffset;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(dims) + " @" + absoluteOffset;
    }
}
