package dev.switchyard.kernels;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How the KV cache stores its keys and values. Attention always computes in float32; the cache type
 * decides only how many bytes each cached element takes, and so how many positions a memory budget
 * buys. F16 halves the cache at the cost of rounding each key and value to a half once, when it is
 * written (llama.cpp's default); F32 keeps them exact.
 */
public enum KvCacheType {
    F32(4),
    F16(2);

    private final int bytes;

    KvCacheType(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per cached element. */
    public int bytes() {
        return bytes;
    }

    /** The name users write: {@code f32}, {@code f16}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The type a user names, in any case; the message lists the choices. */
    public static KvCacheType parse(String text) {
        for (KvCacheType t : values()) {
            if (t.label().equalsIgnoreCase(text.strip())) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown KV cache type '" + text + "': choose one of "
                + Arrays.stream(values()).map(KvCacheType::label).collect(Collectors.joining(", ")));
    }
}
