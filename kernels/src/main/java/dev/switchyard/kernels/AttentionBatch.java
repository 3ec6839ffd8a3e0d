package dev.switchyard.kernels;

/**
 * Which cached positions each token of a step attends to: token {@code t} belongs to sequence
 * {@code sequenceOf[t]}, sits at position {@code positionOf[t]} and attends causally to positions
 * {@code 0 .. positionOf[t]} of its own sequence, found through {@code blockTables[sequence]}.
 * Arrays may be longer than {@code tokens}; only the first {@code tokens} entries count.
 */
public record AttentionBatch(
        int tokens,
        int[] sequenceOf,
        int[] positionOf,
        int[][] blockTables,
        int heads,
        int kvHeads,
        int headDimK,
        int headDimV,
        float scale) {
}
