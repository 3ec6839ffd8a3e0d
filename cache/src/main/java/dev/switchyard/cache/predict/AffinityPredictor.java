package dev.switchyard.cache.predict;

/**
 * Inter-layer expert affinity: tokens routed to expert p at layer l tend to go to particular
 * experts at layer l+1 (ExFlow, Yao et al., 2024, measure this on GPT-MoE and Mixtral). Learned
 * online as counts of (expert at l -> expert at l+1) over every token seen so far; j layers ahead,
 * the transition probabilities are chained j times from the token's experts at the current layer.
 * With no counts yet it proposes nothing rather than guessing.
 */
public final class AffinityPredictor implements RoutingPredictor {

    private double[][][] counts; // [layer l >= 1][expert at l-1][expert at l]
    private double[] mass;
    private double[] next;

    @Override
    public void observe(RoutingSoFar so) {
        int l = so.known();
        init(so);
        if (l == 0) {
            return;
        }
        int k = so.header().topK();
        int[] up = so.experts(l - 1);
        int[] here = so.experts(l);
        for (int t = 0; t < so.tokens(); t++) {
            for (int a = 0; a < k; a++) {
                int p = up[t * k + a];
                if (p < 0) {
                    continue;
                }
                for (int b = 0; b < k; b++) {
                    int e = here[t * k + b];
                    if (e >= 0) {
                        counts[l][p][e] += (double) (k - a) / k;
                    }
                }
            }
        }
    }

    @Override
    public void score(RoutingSoFar so, int depth, float[] scores) {
        init(so);
        int l = so.known();
        int k = so.header().topK();
        int experts = so.header().experts();
        int[] here = so.experts(l);
        for (int t = 0; t < so.tokens(); t++) {
            java.util.Arrays.fill(mass, 0);
            for (int r = 0; r < k; r++) {
                int e = here[t * k + r];
                if (e >= 0) {
                    mass[e] += (double) (k - r) / k; // the first choice carries the token's direction most
                }
            }
            for (int m = l + 1; m <= l + depth; m++) {
                step(counts[m], experts);
            }
            for (int e = 0; e < experts; e++) {
                scores[t * experts + e] += (float) mass[e];
            }
        }
    }

    /** mass := mass x P, with P the row-normalized transition counts into layer m. */
    private void step(double[][] transitions, int experts) {
        java.util.Arrays.fill(next, 0);
        for (int p = 0; p < experts; p++) {
            if (mass[p] == 0) {
                continue;
            }
            double total = 0;
            for (int e = 0; e < experts; e++) {
                total += transitions[p][e];
            }
            if (total == 0) {
                continue;
            }
            for (int e = 0; e < experts; e++) {
                next[e] += mass[p] * transitions[p][e] / total;
            }
        }
        System.arraycopy(next, 0, mass, 0, experts);
    }

    private void init(RoutingSoFar so) {
        if (counts == null) {
            int experts = so.header().experts();
            counts = new double[so.header().layers()][experts][experts];
            mass = new double[experts];
            next = new double[experts];
        }
    }
}
