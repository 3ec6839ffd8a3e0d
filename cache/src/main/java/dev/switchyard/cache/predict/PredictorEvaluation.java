package dev.switchyard.cache.predict;

import dev.switchyard.cache.trace.RoutingTrace;
import dev.switchyard.cache.trace.TraceHeader;
import dev.switchyard.cache.trace.TraceStep;
import java.util.List;

/**
 * Replays traces through a predictor alone, with no cache, and measures how well its proposals
 * match the experts each step then uses. Every step counts, prefill included: a predictor's
 * accuracy does not depend on what the step is for.
 */
public final class PredictorEvaluation {

    private PredictorEvaluation() {
    }

    /** @param width experts proposed per token per target layer */
    public static PredictionStats run(List<RoutingTrace> traces, RoutingPredictor predictor, int depth, int width) {
        TraceHeader h = traces.getFirst().header();
        int layers = h.layers();
        int maxDepth = Math.max(1, Math.min(depth, layers - 1));
        PredictionStats stats = new PredictionStats(maxDepth, layers);
        int maxTokens = traces.stream().flatMap(t -> t.steps().stream()).mapToInt(TraceStep::tokens).max().orElse(1);
        Proposals proposals = new Proposals(h.experts(), width, maxTokens);
        RoutingSoFar so = new RoutingSoFar(h);
        boolean[] usedSet = new boolean[h.experts()];
        for (RoutingTrace trace : traces) {
            for (TraceStep step : trace.steps()) {
                for (int l = 0; l < layers; l++) {
                    so.reveal(step, l);
                    predictor.observe(so);
                    for (int j = 1; j <= maxDepth && l + j < layers; j++) {
                        proposals.compute(predictor, so, j);
                        int used = union(step.experts(l + j), usedSet);
                        int correct = 0;
                        for (int i = 0; i < proposals.size(); i++) {
                            if (usedSet[proposals.expert(i)]) {
                                correct++;
                            }
                        }
                        stats.record(j, l + j, proposals.size(), correct, used);
                    }
                }
            }
        }
        return stats;
    }

    /** Marks the distinct experts of {@code assignments} in {@code set}; returns how many. */
    static int union(int[] assignments, boolean[] set) {
        java.util.Arrays.fill(set, false);
        int n = 0;
        for (int e : assignments) {
            if (e >= 0 && !set[e]) {
                set[e] = true;
                n++;
            }
        }
        return n;
    }
}
