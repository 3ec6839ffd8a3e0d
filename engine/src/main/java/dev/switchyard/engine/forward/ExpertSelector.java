package dev.switchyard.engine.forward;

import dev.switchyard.engine.model.ExpertRouting;

/**
 * A model's routing function ({@link ExpertRouting}) for one token at a time: router logits to
 * scores, then the chosen experts and their unscaled weights. Without a selection bias or a group
 * limit this is {@link RouterSelection}'s top-k exactly; with them, experts are ranked by score
 * plus bias within the best groups, and weighted by their unbiased scores. Equal values go to the
 * lower expert (and group) index. Allocation-free; not thread-safe (one per transformer or gate).
 */
final class ExpertSelector {

    /** llama.cpp's floor under the sum that renormalizes the chosen weights (the smallest normal F16). */
    private static final double MIN_WEIGHT_SUM = 6.103515625e-5;

    private final ExpertRouting routing;
    private final int experts;
    private final int perGroup;
    private final float[] selection;
    private final boolean[] allowed;
    private final float[] groupScores;
    private final boolean[] groupKept;

    ExpertSelector(ExpertRouting routing, int experts) {
        this.routing = routing;
        this.experts = experts;
        this.perGroup = experts / routing.groupCount();
        this.selection = new float[experts];
        this.allowed = new boolean[experts];
        this.groupScores = new float[routing.groupCount()];
        this.groupKept = new boolean[routing.groupCount()];
    }

    /** scores[0..experts) from logits: softmax over all of them, or each one's sigmoid (in double, rounded). */
    void scores(float[] logits, float[] scores) {
        if (routing.gating() == ExpertRouting.Gating.SOFTMAX) {
            RouterSelection.softmax(logits, experts, scores);
        } else {
            for (int e = 0; e < experts; e++) {
                scores[e] = (float) (1.0 / (1.0 + Math.exp(-logits[e])));
            }
        }
    }

    /**
     * The {@code k} chosen experts of a token with these scores, best first, into
     * {@code chosen/weights[offset..offset+k)}: weights are the unbiased scores, renormalized to sum
     * to one when {@code normalize}; the weight scale is the caller's. {@code bias} is the layer's
     * selection bias, or null.
     */
    void select(float[] scores, float[] bias, int k, boolean normalize, int[] chosen, float[] weights, int offset) {
        if (bias == null && !routing.groupLimited()) {
            RouterSelection.topK(scores, experts, k, normalize, chosen, weights, offset);
            return;
        }
        rank(scores, bias);
        double sum = 0;
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int e = 0; e < experts; e++) {
                if (!RouterSelection.chosen(chosen, offset, j, e) && (best < 0 || better(e, best))) {
                    best = e;
                }
            }
            chosen[offset + j] = best;
            weights[offset + j] = scores[best];
            sum += scores[best];
        }
        if (normalize) {
            double divisor = Math.max(sum, MIN_WEIGHT_SUM);
            for (int j = 0; j < k; j++) {
                weights[offset + j] = (float) (weights[offset + j] / divisor);
            }
        }
    }

    /**
     * The keys that rank a token's experts, into {@code keys[offset..offset+experts)}: score plus
     * bias, and -infinity outside the best groups (for a capacity plan, which ranks by them and
     * weighs by the scores).
     */
    void selectionKeys(float[] scores, float[] bias, float[] keys, int offset) {
        rank(scores, bias);
        for (int e = 0; e < experts; e++) {
            keys[offset + e] = allowed[e] ? selection[e] : Float.NEGATIVE_INFINITY;
        }
    }

    /** selection = scores plus bias; allowed = the experts of the best groups (all without a group limit). */
    private void rank(float[] scores, float[] bias) {
        for (int e = 0; e < experts; e++) {
            selection[e] = bias != null ? scores[e] + bias[e] : scores[e];
            allowed[e] = true;
        }
        if (routing.groupLimited()) {
            limitToBestGroups();
        }
    }

    /** An allowed expert beats one outside the kept groups; then the larger selection value. */
    private boolean better(int e, int best) {
        if (allowed[e] != allowed[best]) {
            return allowed[e];
        }
        return selection[e] > selection[best];
    }

    /**
     * Scores each group by its two best selection values, keeps the best {@code groupsUsed}
     * groups, and marks the other groups' experts not allowed (they are chosen only if a caller
     * asks for more experts than the kept groups hold, as a wide speculative guess may).
     */
    private void limitToBestGroups() {
        int groups = routing.groupCount();
        for (int g = 0; g < groups; g++) {
            float first = Float.NEGATIVE_INFINITY;
            float second = Float.NEGATIVE_INFINITY;
            for (int e = g * perGroup; e < (g + 1) * perGroup; e++) {
                float v = selection[e];
                if (v > first) {
                    second = first;
                    first = v;
                } else if (v > second) {
                    second = v;
                }
            }
            groupScores[g] = first + second;
            groupKept[g] = false;
        }
        for (int used = 0; used < routing.groupsUsed(); used++) {
            int best = -1;
            for (int g = 0; g < groups; g++) {
                if (!groupKept[g] && (best < 0 || groupScores[g] > groupScores[best])) {
                    best = g;
                }
            }
            groupKept[best] = true;
        }
        for (int e = 0; e < experts; e++) {
            allowed[e] = groupKept[e / perGroup];
        }
    }
}
