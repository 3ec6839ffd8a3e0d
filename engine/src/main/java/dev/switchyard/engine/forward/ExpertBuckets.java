package dev.switchyard.engine.forward;

/**
 * A step's (token, expert) assignments grouped by expert, so each selected expert runs once over all
 * its tokens. Worked example, 3 tokens, top-2 of 4 experts:
 * <pre>
 *   token 0 -> experts 2, 0     per expert = [2, 0, 2, 2]
 *   token 1 -> experts 3, 2     offsets = [0, 2, 2, 4, 6]
 *   token 2 -> experts 0, 3     rows    = [0, 2 | - | 0, 1 | 1, 2]   (token of each slot)
 * </pre>
 * Within an expert, tokens keep step order, so the grouping never depends on anything but the
 * assignments themselves.
 */
final class ExpertBuckets {

    final int[] offsets;
    /** Scratch: assignments per expert while counting, then each expert's fill position. */
    private final int[] cursor;
    final int[] rows;
    final float[] weights;

    ExpertBuckets(int experts, int maxAssignments) {
        cursor = new int[experts];
        offsets = new int[experts + 1];
        rows = new int[maxAssignments];
        weights = new float[maxAssignments];
    }

    /** Groups {@code tokens x k} assignments (experts[t*k + j], weight[t*k + j]) by expert. */
    void build(int tokens, int k, int[] experts, float[] assignmentWeights) {
        java.util.Arrays.fill(cursor, 0);
        int n = tokens * k;
        for (int i = 0; i < n; i++) {
            if (experts[i] >= 0) {
                cursor[experts[i]]++;
            }
        }
        offsets[0] = 0;
        for (int e = 0; e < cursor.length; e++) {
            offsets[e + 1] = offsets[e] + cursor[e];
            cursor[e] = offsets[e];
        }
        for (int i = 0; i < n; i++) {
            int e = experts[i];
            if (e < 0) {
                continue; // an assignment dropped by capacity-aware dispatch
            }
            int slot = cursor[e]++;
            rows[slot] = i / k;
            weights[slot] = assignmentWeights[i];
        }
    }

    int count(int expert) {
        return offsets[expert + 1] - offsets[expert];
    }
}
