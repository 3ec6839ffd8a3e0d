package dev.switchyard.kernels;

/**
 * Rotary position embedding as a model defines it.
 *
 * <p>Pair i of a head turns by {@code position / linearScale * frequency(i)} and its cosine and
 * sine are scaled by {@link #magnitude()}; backends take {@link #frequencies()} and
 * {@link #magnitude()} from here, so every scaling scheme is one set of numbers to them.
 *
 * @param neox        true: rotate the pairs (i, i + dims/2) of each head (GPT-NeoX, Qwen, OLMoE);
 *                    false: rotate adjacent pairs (2i, 2i + 1) (LLaMA, Mixtral)
 * @param dims        leading dimensions of each head that rotate (the rest pass through)
 * @param base        frequency base theta
 * @param linearScale position divisor of linear scaling (1 = none)
 * @param yarn        YaRN context extension, or null for none
 * @param factors     each pair's frequency divisor, as a file's {@code rope_freqs} states them
 *                    (Llama 3.1's long-context scaling: the slow pairs slowed further), or null for
 *                    none; positive infinity holds a pair still (frequency 0: Qwen3-VL's pairs that
 *                    turn by a position text does not have); compared by identity, as one model's
 *                    spec is made once
 */
public record RopeSpec(boolean neox, int dims, double base, double linearScale, Yarn yarn, float[] factors) {

    public RopeSpec {
        if (dims < 0 || dims % 2 != 0) {
            throw new IllegalArgumentException("rope dims must be even and non-negative, got " + dims);
        }
        if (!(base > 0) || !(linearScale > 0)) {
            throw new IllegalArgumentException("rope base and scale must be positive");
        }
        if (factors != null) {
            if (factors.length != dims / 2) {
                throw new IllegalArgumentException("rope frequency factors: " + factors.length + " for " + dims / 2
                        + " rotating pairs");
            }
            for (float f : factors) {
                if (!(f > 0)) {
                    throw new IllegalArgumentException("rope frequency factors must be positive, got " + f);
                }
            }
        }
    }

    /** Without per-pair factors. */
    public RopeSpec(boolean neox, int dims, double base, double linearScale, Yarn yarn) {
        this(neox, dims, base, linearScale, yarn, null);
    }

    /** Without YaRN. */
    public RopeSpec(boolean neox, int dims, double base, double linearScale) {
        this(neox, dims, base, linearScale, null, null);
    }

    /** This spec with each pair's frequency divided by {@code factors[i]} (null: none). */
    public RopeSpec withFactors(float[] factors) {
        return new RopeSpec(neox, dims, base, linearScale, yarn, factors);
    }

    /** The same rotation at another base (MiMo-V2's windowed blocks turn at their own). */
    public RopeSpec withBase(double base) {
        return new RopeSpec(neox, dims, base, linearScale, yarn, factors);
    }

    /**
     * YaRN (Peng et al., 2023) as llama.cpp applies it: each pair's angle is interpolated between
     * the original one (for pairs that turn many times within the original context) and one
     * slowed by {@code factor} (for pairs that turn less than once there), the blend ramping
     * linearly between the pairs that turn {@code betaFast} and {@code betaSlow} times over
     * {@code originalContext} positions, weighted by {@code extFactor}; cosines and sines are then
     * scaled by {@code attnFactor * (1 + 0.1 ln factor)}.
     *
     * @param factor          context extension (new context / original), &gt; 1
     * @param originalContext the context the model was trained with
     * @param betaFast        turns over the original context above which a pair keeps its angle (32)
     * @param betaSlow        turns below which it is fully slowed (1)
     * @param extFactor       weight of the original angles in the blend (1)
     * @param attnFactor      magnitude scale before YaRN's own (1)
     */
    public record Yarn(double factor, int originalContext, double betaFast, double betaSlow, double extFactor,
                       double attnFactor) {

        public Yarn {
            if (!(factor > 0) || originalContext <= 0 || !(betaFast > 0) || !(betaSlow > 0) || !(attnFactor > 0)
                    || !(extFactor >= 0)) {
                throw new IllegalArgumentException("YaRN needs a positive factor, original context, betas and"
                        + " attention factor, got " + factor + ", " + originalContext + ", " + betaFast + ", "
                        + betaSlow + ", " + attnFactor);
            }
        }

        /** llama.cpp's defaults: betas 32 and 1, extrapolation weight 1, no extra magnitude. */
        public static Yarn of(double factor, int originalContext) {
            return new Yarn(factor, originalContext, 32, 1, 1, 1);
        }

        /** ggml_rope_yarn_corr_dim: the pair that turns {@code turns} times over the original context. */
        private double correctionDim(int dims, double base, double turns) {
            return dims * Math.log(originalContext / (turns * 2 * Math.PI)) / (2 * Math.log(base));
        }
    }

    /**
     * {@code frequency(i)} for pairs {@code i < dims / 2}: {@code base^(-2i / dims)}, divided by the
     * pair's factor where there are {@link #factors}, and with YaRN
     * that times {@code (1 - mix) / factor + mix}, mix = ramp(i) * extFactor, the ramp falling from
     * 1 at the corrected low dimension to 0 at the high one (ggml's rope_yarn_ramp).
     */
    public double[] frequencies() {
        int half = dims / 2;
        double[] f = new double[half];
        double low = 0;
        double high = 0;
        if (yarn != null) {
            low = Math.max(0, Math.floor(yarn.correctionDim(dims, base, yarn.betaFast())));
            high = Math.min(dims - 1, Math.ceil(yarn.correctionDim(dims, base, yarn.betaSlow())));
        }
        for (int i = 0; i < half; i++) {
            f[i] = Math.pow(base, -2.0 * i / dims);
            if (factors != null) {
                f[i] /= factors[i];
            }
            if (yarn != null) {
                double y = (i - low) / Math.max(0.001, high - low);
                double mix = (1 - Math.min(1, Math.max(0, y))) * yarn.extFactor();
                f[i] *= (1 - mix) / yarn.factor() + mix;
            }
        }
        return f;
    }

    /** What cosines and sines are multiplied by: 1, or YaRN's {@code attnFactor (1 + 0.1 ln factor)}. */
    public double magnitude() {
        if (yarn == null) {
            return 1.0;
        }
        return yarn.attnFactor() * (yarn.extFactor() != 0 ? 1 + 0.1 * Math.log(yarn.factor()) : 1);
    }
}
