package dev.switchyard.cache.predict;

import java.util.Arrays;

/**
 * Turns scores into the set of experts to prefetch for one target layer: each token's
 * {@code width} best-scoring experts with a positive score (equal scores by lower expert index),
 * united over the step's tokens, since one copy of an expert serves every token that uses it.
 */
public final class Proposals {

    private final int experts;
    private final int width;
    private final float[] scores;
    private final boolean[] chosen;
    private final int[] list;
    private int size;

    public Proposals(int experts, int width, int maxTokens) {
        this.experts = experts;
        this.width = width;
        this.scores = new float[maxTokens * experts];
        this.chosen = new boolean[experts];
        this.list = new int[experts];
    }

    /** Scores the target {@code depth} layers ahead and keeps the union of each token's best. */
    public Proposals compute(RoutingPredictor predictor, RoutingSoFar so, int depth) {
        int n = so.tokens() * experts;
        Arrays.fill(scores, 0, n, 0f);
        Arrays.fill(chosen, false);
        size = 0;
        predictor.score(so, depth, scores);
        for (int t = 0; t < so.tokens(); t++) {
            int base = t * experts;
            for (int r = 0; r < width; r++) {
                int best = -1;
                float bestScore = 0;
                for (int e = 0; e < experts; e++) {
                    float s = scores[base + e];
                    if (s > bestScore) {
                        best = e;
                        bestScore = s;
                    }
                }
                if (best < 0) {
                    break;
                }
                scores[base + best] = 0; // taken: the next rank looks at the rest
                if (!chosen[best]) {
                    chosen[best] = true;
                    list[size++] = best;
                }
            }
        }
        return this;
    }

    public int size() {
        return size;
    }

    /** The i-th proposed expert (order: first token's best first). */
    public int expert(int i) {
        return list[i];
    }

    public boolean contains(int expert) {
        return chosen[expert];
    }
}
