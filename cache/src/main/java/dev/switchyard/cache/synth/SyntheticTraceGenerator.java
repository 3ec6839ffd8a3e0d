package dev.switchyard.cache.synth;

import dev.switchyard.cache.trace.LocalityStatistics;
import dev.switchyard.cache.trace.RoutingTrace;
import dev.switchyard.cache.trace.TraceHeader;
import dev.switchyard.cache.trace.TraceStep;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Synthetic routing traces with the temporal locality Mixtral shows (Table 5 of its paper) and an
 * inter-layer affinity structure, so that policies and predictors can be compared on traces of any
 * length without a 90 GB model.
 *
 * <p>Each token's experts at layer l come from one of three branches, chosen so the two Table 5
 * statistics come out exactly as targeted rather than approximately:
 * <ol>
 *   <li>with probability {@code s1}: keep the previous token's first choice (the rest drawn freely);
 *   <li>else, with probability {@code u = (p2 - s1) / (1 - s1)}: share a different one of the
 *       previous token's experts (its second choice moves up to first, or its first moves down);
 *   <li>else: draw all k experts from outside the previous token's set.
 * </ol>
 * so {@code P(same first) = s1} and {@code P(sets intersect) = s1 + (1 - s1) u = p2}. "Drawn"
 * means from the layer's affinity distribution given the token's own first choice one layer up:
 * every expert has two preferred successors, weighted {@code 1 + affinity} against 1, times a
 * log-normal popularity per expert. That structure is what {@code AffinityPredictor} can learn;
 * branch 1 and 2 are what recency and LRU exploit. Speculative-gate proposals are synthesized as
 * the true experts, each kept with probability {@code gateAccuracy^j} for j layers ahead and
 * otherwise replaced by a random expert: mixtral-offloading reports such a gate guessing most but
 * not all of the next layer's experts.
 */
public final class SyntheticTraceGenerator {

    /** Receives generated steps in order. */
    @FunctionalInterface
    public interface StepSink {
        void accept(TraceStep step) throws IOException;
    }

    private final SynthSettings s;
    private final SplittableRandom random;
    private final double[][] popularity;   // [layer][expert]
    private final int[][][] preferred;     // [layer][expert one layer up][2]
    private final double[] sameFirst;      // s1 per layer
    private final double[] shareGivenMove; // u per layer
    private final double[] weights;
    private final boolean[] excluded;

    public SyntheticTraceGenerator(SynthSettings settings) {
        this.s = settings;
        this.random = new SplittableRandom(settings.seed());
        int layers = settings.layers();
        int experts = settings.experts();
        this.popularity = new double[layers][experts];
        this.preferred = new int[layers][experts][];
        for (int l = 0; l < layers; l++) {
            for (int e = 0; e < experts; e++) {
                popularity[l][e] = Math.exp(settings.skew() * gaussian());
                preferred[l][e] = twoDistinct(experts);
            }
        }
        this.sameFirst = new double[layers];
        this.shareGivenMove = new double[layers];
        double randomFirst = LocalityStatistics.randomSameFirst(experts);
        double randomShared = LocalityStatistics.randomSharedTopK(experts, settings.topK());
        for (int l = 0; l < layers; l++) {
            double excess1 = MixtralLocality.sameFirst(l, layers) - LocalityStatistics.randomSameFirst(8);
            double excess2 = MixtralLocality.sharedTop2(l, layers) - LocalityStatistics.randomSharedTopK(8, 2);
            double s1 = clamp(randomFirst + settings.locality() * excess1, 0, 0.95);
            double p2 = settings.topK() == 1 ? s1 : clamp(randomShared + settings.locality() * excess2, s1, 1);
            if (2 * settings.topK() > experts) {
                p2 = 1; // two top-k sets cannot be disjoint
            }
            sameFirst[l] = s1;
            shareGivenMove[l] = s1 >= 1 ? 0 : (p2 - s1) / (1 - s1);
        }
        this.weights = new double[experts];
        this.excluded = new boolean[experts];
    }

    /** The whole trace in memory. */
    public RoutingTrace trace() {
        List<TraceStep> steps = new ArrayList<>();
        try {
            generate(steps::add);
        } catch (IOException e) {
            throw new AssertionError(e); // adding to a list does no I/O
        }
        return new RoutingTrace(header(), steps);
    }

    public TraceHeader header() {
        int width = s.gateDepth() == 0 ? 0 : s.topK();
        return new TraceHeader(s.layers(), s.experts(), s.topK(), s.gateDepth(), width, s.expertBytes(), s.describe());
    }

    /** Generates the steps: requests in waves of {@code batch}, one decode token each per step. */
    public void generate(StepSink sink) throws IOException {
        int k = s.topK();
        for (int first = 0; first < s.requests(); first += s.batch()) {
            int width = Math.min(s.batch(), s.requests() - first);
            int[][][] previous = new int[width][][]; // [request in wave][layer][k]; null before the first token
            for (int n = 0; n < s.tokens(); n++) {
                int[] requests = new int[width];
                int[][] experts = new int[s.layers()][width * k];
                for (int r = 0; r < width; r++) {
                    requests[r] = first + r;
                    int[][] routed = routeToken(previous[r]);
                    for (int l = 0; l < s.layers(); l++) {
                        System.arraycopy(routed[l], 0, experts[l], r * k, k);
                    }
                    previous[r] = routed;
                }
                sink.accept(new TraceStep(false, requests, experts, proposals(experts, width)));
            }
        }
    }

    /** One token's experts in every layer, given the request's previous token (null for its first). */
    private int[][] routeToken(int[][] previous) {
        int k = s.topK();
        int[][] routed = new int[s.layers()][k];
        for (int l = 0; l < s.layers(); l++) {
            int[] cur = routed[l];
            Arrays.fill(cur, -1);
            int up = l == 0 ? -1 : routed[l - 1][0];
            int[] prev = previous == null ? null : previous[l];
            int filled = 0;
            if (prev != null && random.nextDouble() < sameFirst[l]) {
                cur[filled++] = prev[0];
            } else if (prev != null && k > 1 && random.nextDouble() < shareGivenMove[l]) {
                if (random.nextBoolean()) {
                    // the previous token's lower-ranked expert becomes this token's first choice
                    cur[filled++] = prev[1 + random.nextInt(k - 1)];
                } else {
                    // a new first choice; one of the previous experts stays on at second place
                    cur[filled] = draw(l, up, cur, filled, prev);
                    if (cur[filled] < 0) {
                        cur[filled] = prev[1 + random.nextInt(k - 1)];
                    }
                    filled++;
                    int keep = prev[random.nextInt(k)];
                    if (keep != cur[0]) {
                        cur[filled++] = keep;
                    }
                }
            } else if (prev != null) {
                while (filled < k) {
                    int e = draw(l, up, cur, filled, prev);
                    if (e < 0) {
                        break; // fewer than 2k experts: the sets must meet; fill freely below
                    }
                    cur[filled++] = e;
                }
            }
            while (filled < k) {
                cur[filled] = draw(l, up, cur, filled, null);
                filled++;
            }
        }
        return routed;
    }

    /**
     * An expert drawn from layer {@code l}'s affinity distribution given the token's first choice
     * one layer up ({@code -1} at layer 0), never one already chosen nor one of {@code avoid};
     * -1 when nothing is left.
     */
    private int draw(int l, int up, int[] chosen, int chosenCount, int[] avoid) {
        Arrays.fill(excluded, false);
        for (int i = 0; i < chosenCount; i++) {
            excluded[chosen[i]] = true;
        }
        if (avoid != null) {
            for (int e : avoid) {
                excluded[e] = true;
            }
        }
        double total = 0;
        for (int e = 0; e < weights.length; e++) {
            double w = excluded[e] ? 0 : popularity[l][e];
            if (w > 0 && up >= 0 && (preferred[l][up][0] == e || preferred[l][up][1] == e)) {
                w *= 1 + s.affinity();
            }
            weights[e] = w;
            total += w;
        }
        if (total == 0) {
            return -1;
        }
        double x = random.nextDouble() * total;
        int last = -1;
        for (int e = 0; e < weights.length; e++) {
            if (weights[e] > 0) {
                last = e;
                x -= weights[e];
                if (x < 0) {
                    return e;
                }
            }
        }
        return last;
    }

    /** Noisy copies of the truth, as a speculative gate would propose them. */
    private int[][][] proposals(int[][] experts, int tokens) {
        int k = s.topK();
        int layers = s.layers();
        int[][][] out = new int[layers][][];
        for (int l = 0; l < layers; l++) {
            int depths = Math.min(s.gateDepth(), layers - 1 - l);
            out[l] = new int[depths][tokens * k];
            for (int j = 1; j <= depths; j++) {
                double keep = Math.pow(s.gateAccuracy(), j);
                int[] proposal = out[l][j - 1];
                for (int t = 0; t < tokens; t++) {
                    for (int r = 0; r < k; r++) {
                        int truth = experts[l + j][t * k + r];
                        int e = random.nextDouble() < keep ? truth : random.nextInt(s.experts());
                        while (contains(proposal, t * k, r, e)) {
                            e = random.nextInt(s.experts());
                        }
                        proposal[t * k + r] = e;
                    }
                }
            }
        }
        return out;
    }

    private static boolean contains(int[] a, int from, int count, int value) {
        for (int i = 0; i < count; i++) {
            if (a[from + i] == value) {
                return true;
            }
        }
        return false;
    }

    private int[] twoDistinct(int experts) {
        int a = random.nextInt(experts);
        int b = random.nextInt(experts - 1);
        return new int[] {a, b >= a ? b + 1 : b};
    }

    private double gaussian() {
        return random.nextGaussian();
    }

    private static double clamp(double v, double lo, double hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
