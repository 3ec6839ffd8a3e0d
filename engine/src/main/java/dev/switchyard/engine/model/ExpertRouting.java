package dev.switchyard.engine.model;

/**
 * How a MoE layer turns router logits into its chosen experts and their weights, beyond top-k and
 * renormalization ({@link ModelConfig#normalizeTopK()}), as llama.cpp routes:
 * <ol>
 *   <li>scores: softmax over all experts, or each expert's sigmoid (DeepSeek-V3, Kimi-K2);</li>
 *   <li>selection: the scores plus the layer's selection bias where the file has one
 *       ({@code exp_probs_b}); with {@code groupCount > 1} the experts fall into that many equal
 *       groups, each scored by its two best selection values, and only the {@code groupsUsed}
 *       best groups' experts may be chosen;</li>
 *   <li>weights: the chosen experts' unbiased scores, renormalized where the model does, then
 *       times {@code weightScale}.</li>
 * </ol>
 *
 * @param gating      how logits become scores
 * @param groupCount  expert groups (1: no group limit)
 * @param groupsUsed  groups a token's experts may come from (equal to groupCount without a limit)
 * @param weightScale factor on the chosen experts' weights ({@code expert_weights_scale})
 */
public record ExpertRouting(Gating gating, int groupCount, int groupsUsed, double weightScale) {

    public enum Gating {
        SOFTMAX(1), SIGMOID(2);

        private final int ggufCode;

        Gating(int ggufCode) {
            this.ggufCode = ggufCode;
        }

        /** The value of {@code expert_gating_func}. */
        public int ggufCode() {
            return ggufCode;
        }
    }

    /** Softmax over every expert, no group limit, weights unscaled: every family but the DeepSeek ones. */
    public static final ExpertRouting SOFTMAX = new ExpertRouting(Gating.SOFTMAX, 1, 1, 1.0);

    public ExpertRouting {
        if (gating == null) {
            throw new ModelConfigException("expert gating must be stated");
        }
        if (groupCount < 1 || groupsUsed < 1 || groupsUsed > groupCount) {
            throw new ModelConfigException("expert_group_used_count " + groupsUsed + " must be in 1.." + groupCount
                    + " (expert_group_count)");
        }
        if (!Double.isFinite(weightScale) || weightScale <= 0) {
            throw new ModelConfigException("expert_weights_scale must be positive, got " + weightScale);
        }
    }

    /** Whether only some groups' experts may be chosen. */
    public boolean groupLimited() {
        return groupsUsed < groupCount;
    }

    /** Whether this is plain softmax top-k with unscaled weights (Mixtral's, Qwen-MoE's, OLMoE's). */
    public boolean isPlainSoftmax() {
        return gating == Gating.SOFTMAX && !groupLimited() && weightScale == 1.0;
    }
}
