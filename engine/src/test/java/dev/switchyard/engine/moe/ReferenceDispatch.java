package dev.switchyard.engine.moe;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The dispatch rules written as plainly as possible, with collections and comparators, token by
 * token: the oracle the preallocated {@link DispatchPlan} is checked against.
 */
final class ReferenceDispatch {

    /** One group's result, per group token t: experts[t][j] (-1 dropped) and weights[t][j]. */
    record Result(int[][] experts, float[][] weights) {
    }

    private record Assignment(int token, int rank, int expert, float score) {
    }

    private ReferenceDispatch() {
    }

    /** The k best of p, equal ones to the lower index. */
    static int[] topK(float[] p, int k) {
        List<Integer> order = new ArrayList<>();
        for (int e = 0; e < p.length; e++) {
            order.add(e);
        }
        order.sort(Comparator.<Integer>comparingDouble(e -> -p[e]).thenComparingInt(e -> e));
        int[] best = new int[k];
        for (int j = 0; j < k; j++) {
            best[j] = order.get(j);
        }
        return best;
    }

    static Result dispatch(float[][] p, int[] positions, int[] tieKeys, int k, OverflowMode mode, double gamma,
                           boolean normalize) {
        int n = p.length;
        int experts = n == 0 ? 0 : p[0].length;
        int[][] chosen = new int[n][];
        for (int t = 0; t < n; t++) {
            chosen[t] = topK(p[t], k);
        }
        int[][] result = new int[n][];
        for (int t = 0; t < n; t++) {
            result[t] = chosen[t].clone();
        }
        if (mode != OverflowMode.NONE) {
            int capacity = Math.max(1, (int) Math.ceil(gamma * (n * k) / experts));
            Comparator<Assignment> competition = Comparator
                    .comparingDouble((Assignment a) -> -a.score())
                    .thenComparingInt(a -> positions[a.token()])
                    .thenComparingInt(a -> tieKeys[a.token()]);
            int[] load = new int[experts];
            List<Assignment> overflowing = new ArrayList<>();
            for (int e = 0; e < experts; e++) {
                List<Assignment> competitors = new ArrayList<>();
                for (int t = 0; t < n; t++) {
                    for (int j = 0; j < k; j++) {
                        if (chosen[t][j] == e) {
                            competitors.add(new Assignment(t, j, e, p[t][e]));
                        }
                    }
                }
                competitors.sort(competition);
                for (int c = 0; c < competitors.size(); c++) {
                    if (c < capacity) {
                        load[e]++;
                    } else {
                        Assignment a = competitors.get(c);
                        overflowing.add(a);
                        result[a.token()][a.rank()] = -1;
                    }
                }
            }
            if (mode == OverflowMode.REROUTE) {
                overflowing.sort(Comparator.comparingInt((Assignment a) -> positions[a.token()])
                        .thenComparingInt(Assignment::rank)
                        .thenComparingInt(a -> tieKeys[a.token()]));
                for (Assignment a : overflowing) {
                    Set<Integer> taken = new HashSet<>();
                    for (int j = 0; j < k; j++) {
                        taken.add(chosen[a.token()][j]);
                        taken.add(result[a.token()][j]);
                    }
                    int best = -1;
                    for (int e = 0; e < experts; e++) {
                        if (!taken.contains(e) && load[e] < capacity && (best < 0 || p[a.token()][e] > p[a.token()][best])) {
                            best = e;
                        }
                    }
                    if (best >= 0) {
                        result[a.token()][a.rank()] = best;
                        load[best]++;
                    }
                }
            }
        }
        float[][] weights = new float[n][k];
        for (int t = 0; t < n; t++) {
            double sum = 0;
            for (int j = 0; j < k; j++) {
                if (result[t][j] >= 0) {
                    weights[t][j] = p[t][result[t][j]];
                    sum += weights[t][j];
                }
            }
            for (int j = 0; j < k; j++) {
                if (normalize && result[t][j] >= 0) {
                    weights[t][j] = (float) (weights[t][j] / sum);
                }
            }
        }
        return new Result(result, weights);
    }
}
