package dev.switchyard.kernels;

/**
 * How {@link Backend#routedExperts} turns a token's router logits (one per expert, E of them) into
 * its {@code k} experts and their weights, as the engine routes on the host:
 * <ol>
 *   <li>scores: softmax over all experts, or each expert's sigmoid in double, rounded to float;</li>
 *   <li>choice: without a selection bias or a group limit, the k highest scores, equal ones to the
 *       lower expert index; otherwise the experts ranked by score plus {@code selectionBias} (a float
 *       sum), only within the best {@code groupsUsed} of {@code groupCount} equal groups, a group
 *       scored by the sum of its two best ranking values (equal groups to the lower index);</li>
 *   <li>weights: the chosen experts' scores, divided by their sum in double where {@code normalize}
 *       (a ranked token's sum floored at 6.1035e-5, the smallest normal half, as llama.cpp floors
 *       it), then times {@code weightScale} as floats; they weigh the chosen experts' outputs, or,
 *       with {@code weighsInputs} (Llama 4), their inputs, the outputs then joining unweighted.</li>
 * </ol>
 * Plain softmax top-k is Mixtral's, Qwen-MoE's and OLMoE's; sigmoid scores with a selection bias in
 * expert groups are DeepSeek-V3's (also Kimi-K2's, GLM-4.5's, Ling 2.0's); softmax with a bias is
 * ERNIE 4.5's. A backend may keep a device copy of {@code selectionBias}, compared with the array on
 * each use, so the engine passes the loaded layer's own array.
 *
 * @param k             experts per token, 1 to E
 * @param sigmoid       sigmoid scores, rather than the softmax
 * @param selectionBias the layer's selection bias (E values), or null for none
 * @param groupCount    equal groups the experts fall into (1: no groups)
 * @param groupsUsed    groups a token's experts may come from, 1 to groupCount
 * @param normalize     whether the chosen weights are renormalized to sum to one
 * @param weightScale   the factor on the weights (1: unscaled)
 * @param weighsInputs  whether the weights multiply the experts' inputs rather than their outputs
 */
public record TopKRouting(int k, boolean sigmoid, float[] selectionBias, int groupCount, int groupsUsed,
                          boolean normalize, float weightScale, boolean weighsInputs) {

    public TopKRouting {
        if (k < 1) {
            throw new IllegalArgumentException("cannot route to the top " + k + " experts");
        }
        if (groupCount < 1 || groupsUsed < 1 || groupsUsed > groupCount) {
            throw new IllegalArgumentException("a token's experts come from 1 to " + groupCount + " of " + groupCount
                    + " groups, not " + groupsUsed);
        }
        if (!(weightScale > 0) || !Float.isFinite(weightScale)) {
            throw new IllegalArgumentException("the routing weights' scale must be finite and positive, got "
                    + weightScale);
        }
    }

    /** A rule whose weights multiply the chosen experts' outputs, as every family's but Llama 4's. */
    public TopKRouting(int k, boolean sigmoid, float[] selectionBias, int groupCount, int groupsUsed, boolean normalize,
                       float weightScale) {
        this(k, sigmoid, selectionBias, groupCount, groupsUsed, normalize, weightScale, false);
    }

    /** Softmax top-k, renormalized when {@code normalize}, unscaled: Mixtral's and most models' routing. */
    public static TopKRouting softmax(int k, boolean normalize) {
        return new TopKRouting(k, false, null, 1, 1, normalize, 1f);
    }

    /** Whether only some groups' experts may be chosen. */
    public boolean groupLimited() {
        return groupsUsed < groupCount;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(sigmoid ? "sigmoid" : "softmax").append(" top-").append(k);
        if (selectionBias != null) {
            s.append(", biased");
        }
        if (groupLimited()) {
            s.append(", best ").append(groupsUsed).append(" of ").append(groupCount).append(" groups");
        }
        s.append(normalize ? ", renormalized" : "");
        s.append(weightScale != 1f ? ", scaled by " + weightScale : "");
        return weighsInputs ? s.append(", weighing the experts' inputs").toString() : s.toString();
    }
}
