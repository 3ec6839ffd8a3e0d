package dev.switchyard.engine.forward;

/**
 * Turns one token's router logits into its top-k experts and their weights: softmax over all
 * experts, the k highest probabilities (equal ones broken by the lower expert index), renormalized
 * to sum to one where the model does (Mixtral, Qwen3-MoE) and left as they are where it does not
 * (Qwen2-MoE, OLMoE). Allocation-free: callers pass their own arrays.
 */
final class RouterSelection {

    private RouterSelection() {
    }

    /** probabilities[0..n) = softmax(logits[0..n)), accumulated in double. */
    static void softmax(float[] logits, int n, float[] probabilities) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, logits[i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(logits[i] - max);
        }
        for (int i = 0; i < n; i++) {
            probabilities[i] = (float) (Math.exp(logits[i] - max) / sum);
        }
    }

    /** Writes the k best experts of probabilities[0..n) to experts/weights[offset..offset+k). */
    static void topK(float[] probabilities, int n, int k, boolean normalize, int[] experts, float[] weights, int offset) {
        double sum = 0;
        for (int j = 0; j < k; j++) {
            int best = -1;
            float bestValue = Float.NEGATIVE_INFINITY;
            for (int e = 0; e < n; e++) {
                if (probabilities[e] > bestValue && !chosen(experts, offset, j, e)) {
                    best = e;
                    bestValue = probabilities[e];
                }
            }
            experts[offset + j] = best;
            weights[offset + j] = bestValue;
            sum += bestValue;
        }
        if (normalize) {
            for (int j = 0; j < k; j++) {
                weights[offset + j] = (float) (weights[offset + j] / sum);
            }
        }
    }

    /** Whether expert {@code e} is among experts[offset..offset+count). */
    static boolean chosen(int[] experts, int offset, int count, int e) {
        for (int j = 0; j < count; j++) {
            if (experts[offset + j] == e) {
                return true;
            }
        }
        return false;
    }
}
