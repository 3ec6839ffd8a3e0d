package dev.switchyard.engine.lora;

import java.util.Arrays;
import java.util.Locale;

/**
 * How strongly one sequence applies each loaded LoRA adapter: a scale per adapter, by the adapter's
 * number (its place in the order adapters were loaded); an adapter without one is not applied.
 * Immutable. Two mixes are equal when they apply the same adapters at the same scales, so the prefix
 * cache shares KV blocks only between sequences that computed them alike.
 */
public final class LoraMix {

    /** No adapter: the base model alone. */
    public static final LoraMix NONE = new LoraMix(new float[0]);

    private final float[] scales;
    private final boolean none;

    private LoraMix(float[] scales) {
        int length = scales.length;
        while (length > 0 && scales[length - 1] == 0) {
            length--;
        }
        this.scales = Arrays.copyOf(scales, length);
        this.none = length == 0;
    }

    /** A mix applying adapter {@code i} at {@code scales[i]} (0: not at all). Scales must be finite. */
    public static LoraMix of(float... scales) {
        for (int i = 0; i < scales.length; i++) {
            if (!Float.isFinite(scales[i])) {
                throw new IllegalArgumentException("adapter " + i + "'s scale must be a finite number, got " + scales[i]);
            }
        }
        LoraMix mix = new LoraMix(scales);
        return mix.none ? NONE : mix;
    }

    /** The scale adapter {@code adapter} is applied at (0: not applied). */
    public float scale(int adapter) {
        return adapter < scales.length ? scales[adapter] : 0;
    }

    /** Whether no adapter is applied. */
    public boolean isNone() {
        return none;
    }

    /** One more than the highest-numbered adapter applied (0 for none). */
    public int span() {
        return scales.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LoraMix m && Arrays.equals(scales, m.scales);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(scales);
    }

    @Override
    public String toString() {
        if (none) {
            return "none";
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < scales.length; i++) {
            if (scales[i] != 0) {
                s.append(s.isEmpty() ? "" : ",").append(i).append(':').append(String.format(Locale.ROOT, "%s", scales[i]));
            }
        }
        return s.toString();
    }
}
