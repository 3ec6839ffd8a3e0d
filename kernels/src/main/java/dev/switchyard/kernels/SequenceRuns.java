package dev.switchyard.kernels;

/**
 * The sequences of a step, for ops that walk each sequence's tokens in order on a state of its own
 * ({@link Backend#gatedDeltaNet}): one run per sequence, in order of its first token.
 */
public final class SequenceRuns {

    private SequenceRuns() {
    }

    /**
     * The step's sequences in order of first appearance: the first token of each into
     * {@code firstToken} (at least {@code tokens} long), their count returned. {@code seen} (a flag
     * per sequence slot, all false) marks those met, and is left all false again.
     */
    public static int find(int[] sequenceOf, int tokens, int[] firstToken, boolean[] seen) {
        int runs = 0;
        for (int t = 0; t < tokens; t++) {
            if (!seen[sequenceOf[t]]) {
                seen[sequenceOf[t]] = true;
                firstToken[runs++] = t;
            }
        }
        for (int r = 0; r < runs; r++) {
            seen[sequenceOf[firstToken[r]]] = false;
        }
        return runs;
    }
}
