package dev.switchyard.engine.gguf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The key/value metadata of a GGUF file, in file order, with typed accessors. A {@code require*}
 * accessor throws {@link MetadataException} naming the key when it is missing or mistyped; an
 * {@code opt*} accessor returns empty when missing and throws only when mistyped, because a value
 * of the wrong type is never something to silently default over.
 */
public final class GgufMetadata {

    private final Map<String, GgufValue> values;

    public GgufMetadata(Map<String, GgufValue> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    public Map<String, GgufValue> asMap() {
        return values;
    }

    public Set<String> keys() {
        return values.keySet();
    }

    public boolean contains(String key) {
        return values.containsKey(key);
    }

    public Optional<GgufValue> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    public int size() {
        return values.size();
    }

    public OptionalLong optLong(String key) {
        GgufValue v = values.get(key);
        if (v == null) {
            return OptionalLong.empty();
        }
        if (!v.type().isInteger()) {
            throw new MetadataException(key, "is a " + v.type() + ", expected an integer");
        }
        return OptionalLong.of((Long) v.value());
    }

    public long requireLong(String key) {
        return optLong(key).orElseThrow(() -> missing(key));
    }

    /** An integer that must fit in an int and be at least {@code min}. */
    public int requireInt(String key, int min) {
        return checkedInt(key, requireLong(key), min);
    }

    public int optInt(String key, int min, int defaultValue) {
        OptionalLong v = optLong(key);
        return v.isPresent() ? checkedInt(key, v.getAsLong(), min) : defaultValue;
    }

    private static int checkedInt(String key, long v, int min) {
        if (v < min || v > Integer.MAX_VALUE) {
            throw new MetadataException(key, "is " + v + ", expected a value in [" + min + ", " + Integer.MAX_VALUE + "]");
        }
        return (int) v;
    }

    /** A number of any numeric type (integers too: some writers store floats as integers). */
    public OptionalDouble optDouble(String key) {
        GgufValue v = values.get(key);
        if (v == null) {
            return OptionalDouble.empty();
        }
        return switch (v.value()) {
            case Float f -> OptionalDouble.of(f);
            case Double d -> OptionalDouble.of(d);
            case Long l -> OptionalDouble.of(l);
            default -> throw new MetadataException(key, "is a " + v.type() + ", expected a number");
        };
    }

    public double requireDouble(String key) {
        return optDouble(key).orElseThrow(() -> missing(key));
    }

    public Optional<String> optString(String key) {
        GgufValue v = values.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!(v.value() instanceof String s)) {
            throw new MetadataException(key, "is a " + v.type() + ", expected a STRING");
        }
        return Optional.of(s);
    }

    public String requireString(String key) {
        return optString(key).orElseThrow(() -> missing(key));
    }

    public Optional<Boolean> optBool(String key) {
        GgufValue v = values.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!(v.value() instanceof Boolean b)) {
            throw new MetadataException(key, "is a " + v.type() + ", expected a BOOL");
        }
        return Optional.of(b);
    }

    public Optional<GgufArray> optArray(String key) {
        GgufValue v = values.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!(v.value() instanceof GgufArray a)) {
            throw new MetadataException(key, "is a " + v.type() + ", expected an ARRAY");
        }
        return Optional.of(a);
    }

    public GgufArray requireArray(String key) {
        return optArray(key).orElseThrow(() -> missing(key));
    }

    public String[] requireStringArray(String key) {
        GgufArray a = requireArray(key);
        if (!(a.values() instanceof String[] s)) {
            throw new MetadataException(key, "is an array of " + a.elementType() + ", expected strings");
        }
        return s;
    }

    public Optional<float[]> optFloatArray(String key) {
        return optArray(key).map(a -> {
            if (!(a.values() instanceof float[] f)) {
                throw new MetadataException(key, "is an array of " + a.elementType() + ", expected FLOAT32");
            }
            return f;
        });
    }

    public Optional<int[]> optIntArray(String key) {
        return optArray(key).map(a -> {
            if (!(a.values() instanceof long[] l)) {
                throw new MetadataException(key, "is an array of " + a.elementType() + ", expected integers");
            }
            int[] out = new int[l.length];
            for (int i = 0; i < l.length; i++) {
                if (l[i] < Integer.MIN_VALUE || l[i] > Integer.MAX_VALUE) {
                    throw new MetadataException(key, "element " + i + " (" + l[i] + ") does not fit in an int");
                }
                out[i] = (int) l[i];
            }
            return out;
        });
    }

    private static MetadataException missing(String key) {
        return new MetadataException(key, "is missing");
    }
}
