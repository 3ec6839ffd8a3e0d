package dev.switchyard.kernels;

/**
 * What a routed expert's FFN computes around its three projections, for {@link Backend#routedExperts}:
 * with g = gate_e h + gateBias_e and u = up_e h + upBias_e,
 * <pre>
 *   out = down_e act + downBias_e,   act = silu(g) * u                               (SWIGLU)
 *                                     act = g' sigmoid(alpha g') (u' + 1),          (clamped)
 *                                           g' = min(g, limit), u' = clamp(u, -limit, limit)
 *   out = down_e act,                act = max(u, 0)^2, no gate at all             (SQUARED_RELU)
 * </pre>
 * The clamped form is gpt-oss's ({@link Backend#swigluClamped}); so are the biases. The biases are
 * stacked as a model file holds them, a row per expert: gate and up (E x F), down (E x D); all three
 * or none. A backend may keep a device copy of each array, so their contents must not change once
 * passed (the engine's are the loaded weights).
 *
 * @param gateBias gate projection biases (E x F), or null for none
 * @param upBias   up projection biases (E x F), or null
 * @param downBias down projection biases (E x D), or null
 * @param clamped  the clamped SwiGLU of gpt-oss, rather than silu(g) * u
 * @param alpha    the clamped form's sigmoid slope (unused otherwise)
 * @param limit    the clamped form's bound on g and |u| (unused otherwise)
 * @param ungated  experts without a gate, whose activation is the squared ReLU of u (Nemotron-H)
 */
public record ExpertFfnForm(float[] gateBias, float[] upBias, float[] downBias, boolean clamped, float alpha,
                            float limit, boolean ungated) {

    /** Mixtral, Qwen-MoE, DeepSeek-MoE, OLMoE: no biases, silu(gate h) * up h. */
    public static final ExpertFfnForm SWIGLU = new ExpertFfnForm(null, null, null, false, 0f, 0f);

    /** Nemotron-H: no gate and no biases, down (max(up h, 0))^2. */
    public static final ExpertFfnForm SQUARED_RELU = new ExpertFfnForm(null, null, null, false, 0f, 0f, true);

    public ExpertFfnForm {
        if ((gateBias == null) != (upBias == null) || (gateBias == null) != (downBias == null)) {
            throw new IllegalArgumentException("expert biases come as gate, up and down together, or not at all");
        }
        if (clamped && !(limit > 0)) {
            throw new IllegalArgumentException("the clamped SwiGLU needs a positive limit, got " + limit);
        }
        if (ungated && (gateBias != null || clamped)) {
            throw new IllegalArgumentException("experts without a gate take neither biases nor the clamped SwiGLU");
        }
    }

    /** A form of experts with a gate. */
    public ExpertFfnForm(float[] gateBias, float[] upBias, float[] downBias, boolean clamped, float alpha, float limit) {
        this(gateBias, upBias, downBias, clamped, alpha, limit, false);
    }

    /** gpt-oss: biased projections around the clamped SwiGLU. */
    public static ExpertFfnForm clampedSwiglu(float[] gateBias, float[] upBias, float[] downBias, float alpha,
                                              float limit) {
        return new ExpertFfnForm(gateBias, upBias, downBias, true, alpha, limit);
    }

    /** Whether the projections carry biases. */
    public boolean biased() {
        return gateBias != null;
    }

    @Override
    public String toString() {
        if (ungated) {
            return "squared ReLU without a gate";
        }
        String activation = clamped ? "clamped SwiGLU (alpha " + alpha + ", limit " + limit + ")" : "SwiGLU";
        return biased() ? activation + " with biases of " + gateBias.length + ", " + upBias.length + " and "
                + downBias.length + " values" : activation;
    }
}
