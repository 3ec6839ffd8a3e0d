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

    public boolean hasDims(long[] other) {
        return Arrays.equals(dims, other);
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
