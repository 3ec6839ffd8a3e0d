package dev.switchyard.engine.tokenizer;

import java.util.Arrays;

/** A growable list of ints without boxing. */
final class IntList {

    private int[] values;
    private int size;

    IntList(int capacity) {
        values = new int[Math.max(4, capacity)];
    }

    IntList() {
        this(16);
    }

    void add(int v) {
        if (size == values.length) {
            values = Arrays.copyOf(values, values.length * 2);
        }
        values[size++] = v;
    }

    void add(int a, int b) {
        if (size + 2 > values.length) {
            values = Arrays.copyOf(values, Math.max(values.length * 2, size + 2));
        }
        values[size++] = a;
        values[size++] = b;
    }

    void addAll(int[] vs) {
        if (size + vs.length > values.length) {
            values = Arrays.copyOf(values, Math.max(values.length * 2, size + vs.length));
        }
        System.arraycopy(vs, 0, values, size, vs.length);
        size += vs.length;
    }

    int get(int i) {
        return values[i];
    }

    int size() {
        return size;
    }

    void clear() {
        size = 0;
    }

    int[] toArray() {
        return Arrays.copyOf(values, size);
    }

    int[] toArray(int from, int to) {
        return Arrays.copyOfRange(values, from, to);
    }
}
