package dev.switchyard.engine.moe;

import java.util.Objects;

/**
 * Capacity-aware dispatch settings, validated.
 *
 * @param mode          what happens to assignments beyond capacity ({@code --overflow}); default
 *                      {@link OverflowMode#NONE}
 * @param gamma         the capacity factor ({@code --capacity-factor}): each expert of a group of
 *                      {@code T} tokens routed top-{@code k} over {@code E} experts takes at most
 *                      {@code C = ceil(gamma * T * k / E)} assignments; finite and &gt; 0, default 1
 * @param scope         which tokens compete ({@code --capacity-scope}); default
 *                      {@link CapacityScope#SEQUENCE}
 * @param window        the prompt window {@code W} of sequence scope ({@code --capacity-window}), in
 *                      positions; &gt;= 1, default 64
 * @param normalizeTopK whether the model renormalizes its top-k weights to sum to one (Mixtral,
 *                      Qwen3-MoE) or uses the raw softmax probabilities (Qwen2-MoE, OLMoE); a property
 *                      of the model, not a user setting
 */
public record DispatchConfig(OverflowMode mode, double gamma, CapacityScope scope, int window, boolean normalizeTopK) {

    public static final double DEFAULT_GAMMA = 1.0;
    public static final int DEFAULT_WINDOW = 64;

    public DispatchConfig {
        Objects.requireNonNull(mode, "overflow mode");
        Objects.requireNonNull(scope, "capacity scope");
        if (!(gamma > 0) || !Double.isFinite(gamma)) {
            throw new IllegalArgumentException("capacity factor must be finite and > 0; got " + gamma);
        }
        if (window < 1) {
            throw new IllegalArgumentException("capacity window must be at least 1 position; got " + window);
        }
    }

    /** Dropless dispatch in sequence scope, gamma 1, window 64: the model's exact output. */
    public static DispatchConfig defaults(boolean normalizeTopK) {
        return new DispatchConfig(OverflowMode.NONE, DEFAULT_GAMMA, CapacityScope.SEQUENCE, DEFAULT_WINDOW, normalizeTopK);
    }

    /** From the command-line spellings; see {@link OverflowMode#parse} and {@link CapacityScope#parse}. */
    public static DispatchConfig parse(String mode, double gamma, String scope, int window, boolean normalizeTopK) {
        return new DispatchConfig(OverflowMode.parse(mode), gamma, CapacityScope.parse(scope), window, normalizeTopK);
    }

    /** The same settings for a model that does (or does not) renormalize its top-k weights. */
    public DispatchConfig withNormalizeTopK(boolean normalize) {
        return new DispatchConfig(mode, gamma, scope, window, normalize);
    }

    /** Whether this can ever differ from the plain top-k (that is, the mode is not {@code none}). */
    public boolean capacityLimited() {
        return mode != OverflowMode.NONE;
    }
}
