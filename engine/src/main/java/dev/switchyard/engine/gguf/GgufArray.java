package dev.switchyard.engine.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * A metadata array. Elements are held in one primitive array chosen by element type, since
 * vocabularies carry arrays of 100k+ entries: {@code long[]} for every integer type (unsigned values
 * zero-extended), {@code float[]}, {@code double[]}, {@code boolean[]}, {@code String[]}, and
 * {@code GgufArray[]} for nested arrays.
 */
public record GgufArray(GgufValueType elementType, Object values) {

    public GgufArray {
        Objects.requireNonNull(elementType, "elementType");
        Objects.requireNonNull(values, "values");
        Class<?> expected = storageClass(elementType);
        if (values.getClass() != expected) {
            throw new IllegalArgumentException(
                    "array of " + elementType + " must be held in " + expected.getSimpleName());
        }
    }

    static Class<?> storageClass(GgufValueType elementType) {
        return switch (elementType) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> long[].class;
            case FLOAT32 -> float[].class;
            case FLOAT64 -> double[].class;
            case BOOL -> boolean[].class;
            case STRING -> String[].class;
            case ARRAY -> GgufArray[].class;
        };
    }

    public static GgufArray ofStrings(String... values) {
        return new GgufArray(GgufValueType.STRING, values.clone());
    }

    public static GgufArray ofInts(GgufValueType type, long... values) {
        if (!type.isInteger()) {
            throw new IllegalArgumentException(type + " is not an integer type");
        }
        return new GgufArray(type, values.clone());
    }

    public static GgufArray ofFloats(float... values) {
        return new GgufArray(GgufValueType.FLOAT32, values.clone());
    }

    public int length() {
        return switch (values) {
            case long[] a -> a.length;
            case float[] a -> a.length;
            case double[] a -> a.length;
            case boolean[] a -> a.length;
            case String[] a -> a.length;
            case GgufArray[] a -> a.length;
            default -> throw new IllegalStateException();
        };
    }

    /** Element {@code i} boxed, for display and generic code. */
    public Object get(int i) {
        return switch (values) {
            case long[] a -> a[i];
            case float[] a -> a[i];
            case double[] a -> a[i];
            case boolean[] a -> a[i];
            case String[] a -> a[i];
            case GgufArray[] a -> a[i];
            default -> throw new IllegalStateException();
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufArray other
                && other.elementType == elementType
                && Arrays.deepEquals(new Object[] {values}, new Object[] {other.values});
    }

    @Override
    public int hashCode() {
        return 31 * elementType.hashCode() + Arrays.deepHashCode(new Object[] {values});
    }

    @Override
    public String toString() {
        return "GgufArray[" + elementType + " x " + length() + "]";
    }
}
