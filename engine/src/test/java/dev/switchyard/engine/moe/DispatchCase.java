package dev.switchyard.engine.moe;

import java.util.Arrays;
import java.util.Random;

/**
 * A random capacity group placed in a larger step: probabilities with many exact ties, tokens of one or
 * several sequences, the group's rows scattered over the step in random order.
 */
final class DispatchCase {

    final int tokens;
    final int experts;
    final int k;
    final int stepRows;
    /** Per group token t: its row in the step, its probabilities, position and tie key. */
    final int[] rowOf;
    final float[][] p;
    final int[] position;
    final int[] tieKey;

    private DispatchCase(int tokens, int experts, int k, int stepRows, int[] rowOf, float[][] p, int[] position,
                         int[] tieKey) {
        this.tokens = tokens;
        this.experts = experts;
        this.k = k;
        this.stepRows = stepRows;
        this.rowOf = rowOf;
        this.p = p;
        this.position = position;
        this.tieKey = tieKey;
    }

    /**
     * @param sequences how many sequences share the group (more than one: batch scope, so equal
     *                  positions occur and the tie key decides)
     */
    static DispatchCase random(long seed, int tokens, int experts, int k, int sequences) {
        Random random = new Random(seed);
        int style = random.nextInt(4);
        float[][] p = new float[tokens][experts];
        for (int t = 0; t < tokens; t++) {
            for (int e = 0; e < experts; e++) {
                p[t][e] = switch (style) {
                    case 0 -> random.nextFloat();                     // few ties
                    case 1 -> (1 + random.nextInt(3)) / 8f;           // many exact ties
                    case 2 -> 0.25f;                                  // everything tied
                    default -> random.nextInt(4) == 0 ? 0f : (1 + random.nextInt(2)) / 4f; // ties and zeros
                };
            }
        }
        // sequences with distinct (possibly negative) keys; positions distinct within a sequence
        int[] keys = new int[sequences];
        int[] next = new int[sequences];
        for (int s = 0; s < sequences; s++) {
            keys[s] = random.nextInt(2001) - 1000 + s * 2001; // distinct
            next[s] = random.nextInt(3) == 0 ? 0 : random.nextInt(100);
        }
        int[] position = new int[tokens];
        int[] tieKey = new int[tokens];
        for (int t = 0; t < tokens; t++) {
            int s = random.nextInt(sequences);
            tieKey[t] = keys[s];
            position[t] = next[s];
            next[s] += 1 + (random.nextInt(4) == 0 ? random.nextInt(3) : 0);
        }
        int stepRows = tokens + random.nextInt(4);
        int[] all = new int[stepRows];
        for (int r = 0; r < stepRows; r++) {
            all[r] = r;
        }
        shuffle(all, random);
        return new DispatchCase(tokens, experts, k, stepRows, Arrays.copyOf(all, tokens), p, position, tieKey);
    }

    static void shuffle(int[] a, Random random) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** The same tokens at other rows of the step and in another order. */
    DispatchCase permuted(long seed) {
        Random random = new Random(seed);
        int[] all = new int[stepRows];
        for (int r = 0; r < stepRows; r++) {
            all[r] = r;
        }
        shuffle(all, random);
        int[] order = new int[tokens];
        for (int t = 0; t < tokens; t++) {
            order[t] = t;
        }
        shuffle(order, random);
        int[] rowOf = new int[tokens];
        float[][] p2 = new float[tokens][];
        int[] position2 = new int[tokens];
        int[] tieKey2 = new int[tokens];
        for (int t = 0; t < tokens; t++) {
            int from = order[t];
            rowOf[t] = all[t];
            p2[t] = p[from];
            position2[t] = position[from];
            tieKey2[t] = tieKey[from];
        }
        return new DispatchCase(tokens, experts, k, stepRows, rowOf, p2, position2, tieKey2);
    }

    /** What the plan wrote for each group token t, read back from the step's rows. */
    record Output(int[][] experts, float[][] weights) {

        int[] expertsOf(int t) {
            return experts[t];
        }
    }

    /** Runs the plan on this case, laid out in step arrays as the forward pass has them. */
    Output run(DispatchConfig config) {
        return run(new DispatchPlan(config, experts, k, tokens));
    }

    Output run(DispatchPlan plan) {
        float[] probabilities = new float[stepRows * experts];
        int[] positions = new int[stepRows];
        int[] tieKeys = new int[stepRows];
        Arrays.fill(positions, -7);
        Arrays.fill(tieKeys, -7);
        for (int t = 0; t < tokens; t++) {
            int r = rowOf[t];
            System.arraycopy(p[t], 0, probabilities, r * experts, experts);
            positions[r] = position[t];
            tieKeys[r] = tieKey[t];
        }
        int[] outExperts = new int[stepRows * k];
        float[] outWeights = new float[stepRows * k];
        Arrays.fill(outExperts, -99);
        Arrays.fill(outWeights, -99f);
        // the group's rows start one past a sentinel, to exercise the offset form too
        int[] rows = new int[tokens + 1];
        rows[0] = -1;
        System.arraycopy(rowOf, 0, rows, 1, tokens);
        plan.plan(probabilities, rows, 1, positions, tieKeys, tokens, outExperts, outWeights);
        boolean[] inGroup = new boolean[stepRows];
        int[][] ex = new int[tokens][];
        float[][] w = new float[tokens][];
        for (int t = 0; t < tokens; t++) {
            int r = rowOf[t];
            inGroup[r] = true;
            ex[t] = Arrays.copyOfRange(outExperts, r * k, r * k + k);
            w[t] = Arrays.copyOfRange(outWeights, r * k, r * k + k);
        }
        for (int r = 0; r < stepRows; r++) {
            if (!inGroup[r]) {
                for (int j = 0; j < k; j++) {
                    if (outExperts[r * k + j] != -99 || outWeights[r * k + j] != -99f) {
                        throw new AssertionError("row " + r + " is not in the group but was written");
                    }
                }
            }
        }
        return new Output(ex, w);
    }

    ReferenceDispatch.Result reference(DispatchConfig config) {
        return ReferenceDispatch.dispatch(p, position, tieKey, k, config.mode(), config.gamma(), config.normalizeTopK());
    }

    int capacity(double gamma) {
        return DispatchPlan.capacity(gamma, tokens, k, experts);
    }

    @Override
    public String toString() {
        return "T=" + tokens + " E=" + experts + " k=" + k + " rows=" + Arrays.toString(rowOf) + " positions="
                + Arrays.toString(position) + " keys=" + Arrays.toString(tieKey) + " p=" + Arrays.deepToString(p);
    }
}
