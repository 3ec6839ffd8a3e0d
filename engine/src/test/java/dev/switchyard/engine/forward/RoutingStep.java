package dev.switchyard.engine.forward;

import dev.switchyard.engine.moe.CapacityGroups;
import dev.switchyard.engine.moe.CapacityScope;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.engine.moe.OverflowMode;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * One step's router inputs, grouped for capacity as the engine groups them, for comparing another
 * implementation of routing and dispatch (moe_dispatch.cuh, on the host or the GPU) with the CPU's:
 * tokens of one to four sequences in random row order, some of them generated, their capacity groups
 * from {@link CapacityGroups}, and router logits or probabilities with (by style) no ties, many exact
 * ties, every expert tied, zeros, or every token on one expert.
 */
final class RoutingStep {

    final int tokens;
    final int experts;
    final int k;
    final DispatchConfig config;
    /** Expert lists padded to a multiple of this. */
    final int align;
    /** Per row: sequence (the tie key), position, whether generated. */
    final int[] sequence;
    final int[] position;
    final boolean[] generated;
    /** The capacity groups: rows[groupStarts[g] .. groupStarts[g + 1]). */
    final int[] rows;
    final int[] groupStarts;
    final int groups;
    /** Router logits (T, E), the input of routing. */
    final float[] logits;
    /** Router probabilities (T, E), the input of dispatch: the CPU's softmax of the logits, except in style 3. */
    final float[] probabilities;
    final String description;

    private RoutingStep(int experts, int k, DispatchConfig config, int align, int[] sequence, int[] position,
                        boolean[] generated, float[] logits, float[] probabilities, String description) {
        this.tokens = sequence.length;
        this.experts = experts;
        this.k = k;
        this.config = config;
        this.align = align;
        this.sequence = sequence;
        this.position = position;
        this.generated = generated;
        this.logits = logits;
        this.probabilities = probabilities;
        CapacityGroups grouping = CapacityGroups.of(config, Math.max(1, tokens));
        this.groups = grouping.build(tokens, sequence, position, generated);
        this.rows = Arrays.copyOf(grouping.rows(), tokens);
        this.groupStarts = new int[groups + 1];
        for (int g = 0; g < groups; g++) {
            groupStarts[g] = grouping.start(g);
        }
        groupStarts[groups] = tokens;
        this.description = description + ": T " + tokens + ", E " + experts + ", k " + k + ", " + config.mode()
                + ", gamma " + config.gamma() + ", " + config.scope() + " scope, window " + config.window()
                + (config.normalizeTopK() ? ", normalized" : ", raw") + ", align " + align + ", " + groups + " groups";
    }

    static final int[] EXPERT_COUNTS = {8, 16, 64};
    static final int[] TOP_K = {1, 2, 4};
    static final double[] GAMMAS = {0.01, 0.25, 0.5, 0.75, 1.0, 1.25, 2.0, 8.0};
    static final int[] WINDOWS = {1, 3, 8, 16, 64, 256};
    static final int[] ALIGNS = {1, 1, 4, 16};

    /** A random step of up to {@code maxTokens} tokens, every mode, gamma, scope and probability style. */
    static RoutingStep random(long seed, int maxTokens) {
        SplittableRandom r = new SplittableRandom(seed);
        int experts = EXPERT_COUNTS[r.nextInt(EXPERT_COUNTS.length)];
        int k = TOP_K[r.nextInt(TOP_K.length)];
        int tokens = r.nextInt(4) == 0 ? 1 + r.nextInt(maxTokens) : 1 + r.nextInt(Math.min(maxTokens, 24));
        OverflowMode mode = OverflowMode.values()[r.nextInt(3)];
        double gamma = GAMMAS[r.nextInt(GAMMAS.length)];
        CapacityScope scope = r.nextInt(3) == 0 ? CapacityScope.BATCH : CapacityScope.SEQUENCE;
        int window = WINDOWS[r.nextInt(WINDOWS.length)];
        DispatchConfig config = new DispatchConfig(mode, gamma, scope, window, r.nextBoolean());
        int style = r.nextInt(6);
        return of(r, experts, k, tokens, config, ALIGNS[r.nextInt(ALIGNS.length)], style, "random #" + seed);
    }

    /**
     * A step of {@code tokens} tokens in one to four sequences with router values of {@code style}:
     * 0 softmax of gaussian logits (no ties), 1 many exact ties, 2 every expert tied, 3 ties and zeros,
     * 4 every token's best expert the same, 5 every token the same row of values.
     */
    static RoutingStep of(SplittableRandom r, int experts, int k, int tokens, DispatchConfig config, int align,
                          int style, String description) {
        int sequences = 1 + r.nextInt(Math.min(4, tokens));
        int[] sequence = new int[tokens];
        int[] position = new int[tokens];
        boolean[] generated = new boolean[tokens];
        // each sequence's tokens have consecutive positions from a random start; the last few may be
        // generated ones (decode, or recompute after preemption)
        int[] start = new int[sequences];
        int[] length = new int[sequences];
        for (int s = 0; s < sequences; s++) {
            start[s] = r.nextInt(3) == 0 ? 0 : r.nextInt(300);
        }
        for (int t = 0; t < tokens; t++) {
            length[t < sequences ? t : r.nextInt(sequences)]++;
        }
        int[] order = new int[tokens];
        for (int t = 0; t < tokens; t++) {
            order[t] = t;
        }
        for (int t = tokens - 1; t > 0; t--) {
            int j = r.nextInt(t + 1);
            int x = order[t];
            order[t] = order[j];
            order[j] = x;
        }
        int next = 0;
        for (int s = 0; s < sequences; s++) {
            int generatedTail = r.nextInt(3) == 0 ? r.nextInt(length[s] + 1) : 0;
            for (int i = 0; i < length[s]; i++) {
                int row = order[next++];
                sequence[row] = 7 * s + 3;
                position[row] = start[s] + i;
                generated[row] = i >= length[s] - generatedTail;
            }
        }
        float[] logits = new float[tokens * experts];
        int favourite = r.nextInt(experts);
        float[] shared = new float[experts];
        for (int e = 0; e < experts; e++) {
            shared[e] = (float) r.nextGaussian();
        }
        for (int t = 0; t < tokens; t++) {
            for (int e = 0; e < experts; e++) {
                int i = t * experts + e;
                switch (style) {
                    case 0 -> logits[i] = (float) (2 * r.nextGaussian());
                    case 1 -> logits[i] = r.nextInt(3);
                    case 2 -> logits[i] = 0.5f;
                    case 3 -> logits[i] = r.nextInt(4) == 0 ? -1e4f : r.nextInt(2);
                    case 4 -> logits[i] = e == favourite ? 6f : (float) r.nextGaussian();
                    default -> logits[i] = shared[e];
                }
            }
        }
        float[] probabilities = softmax(logits, tokens, experts);
        if (style == 3) {
            // exact zeros and exact ties among the probabilities themselves, as the planner's own tests use
            for (int i = 0; i < probabilities.length; i++) {
                probabilities[i] = r.nextInt(4) == 0 ? 0f : (1 + r.nextInt(2)) / 4f;
            }
        }
        return new RoutingStep(experts, k, config, align, sequence, position, generated, logits, probabilities,
                description + " (style " + style + ")");
    }

    /** The CPU's router probabilities of each row of {@code logits} (T, E): {@link RouterSelection#softmax}. */
    static float[] softmax(float[] logits, int tokens, int experts) {
        float[] probabilities = new float[tokens * experts];
        float[] row = new float[experts];
        float[] p = new float[experts];
        for (int t = 0; t < tokens; t++) {
            System.arraycopy(logits, t * experts, row, 0, experts);
            RouterSelection.softmax(row, experts, p);
            System.arraycopy(p, 0, probabilities, t * experts, experts);
        }
        return probabilities;
    }

    /** A step with the given probabilities (T, E) and one sequence at positions 0..T-1, rows in order. */
    static RoutingStep ofProbabilities(float[] probabilities, int experts, int k, DispatchConfig config, int align,
                                       String description) {
        int tokens = probabilities.length / experts;
        int[] sequence = new int[tokens];
        int[] position = new int[tokens];
        for (int t = 0; t < tokens; t++) {
            position[t] = t;
        }
        return new RoutingStep(experts, k, config, align, sequence, position, new boolean[tokens],
                new float[tokens * experts], probabilities, description);
    }

    @Override
    public String toString() {
        return description;
    }
}
