package dev.switchyard.kernels;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How the KV cache stores its keys and values. Attention always computes in float32; the cache type
 * decides only how many bytes each cached element takes, and so how many positions a memory budget
 * buys. F16 halves the cache at the cost of rounding each key and value to a half once, when it is
 * written (llama.cpp's default); F32 keeps them exact. Q8_0 stores each as a signed byte, every
 * group of 32 of a KV head's part of a position sharing one half-precision scale ({@link KvQ8}):
 * 8.5 bits an element for head widths of 64 and 128, not quite half of F16's bytes, at the cost of
 * a relative error up to 1/254 of its group's largest magnitude (llama.cpp's {@code q8_0} cache type).
 */
public enum KvCacheType {
    F32(4),
    F16(2),
    Q8_0(1);

    private final int bytes;

    KvCacheType(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per cached element, scales aside ({@link #rowBytes} counts them). */
    public int bytes() {
        return bytes;
    }

    /**
     * Bytes a position's row of {@code width} elements, {@code heads} heads of {@code width / heads},
     * takes in the cache: the elements, and for Q8_0 each head's group scales.
     */
    public long rowBytes(int width, int heads) {
        if (width < 0 || heads <= 0 || width % heads != 0) {
            throw new IllegalArgumentException("a row of " + width + " elements in " + heads + " heads");
        }
        long elements = (long) width * bytes;
        return this == Q8_0 && width > 0 ? elements + 2L * heads * KvQ8.groups(width / heads) : elements;
    }

    /** The name users write: {@code f32}, {@code f16}, {@code q8_0}. */
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
