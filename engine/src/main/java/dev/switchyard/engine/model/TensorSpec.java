package dev.switchyard.engine.model;

import java.util.Arrays;

/** A tensor a model of some configuration has: its llama.cpp name, ggml dims and role. */
public record TensorSpec(String name, long[] dims, TensorRole role, boolean optional) {

    public TensorSpec {
        dims = dims.clone();
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return n;
    }

    /**
     * Whether {@code other} is this shape, trailing dims of 1 aside: they change no element's place,
     * and converters and quantizers keep or drop them (Kimi-Linear's convolution kernels come as
     * {@code {C, 1, D, 1}} or {@code {C, 1, D}}).
     */
    public boolean hasDims(long[] other) {
        return Arrays.equals(trimmed(dims), trimmed(other));
    }

    private static long[] trimmed(long[] d) {
        int n = d.length;
        while (n > 1 && d[n - 1] == 1) {
            n--;
        }
        return n == d.length ? d : Arrays.copyOf(d, n);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && t.name.equals(name) && Arrays.equals(t.dims, dims)
                && t.role == role && t.optional == optional;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(dims);
    }
}
