package dev.switchyard.kernels;

/**
 * Which cached positions each token of a step attends to: token {@code t} belongs to sequence
 * {@code sequenceOf[t]}, sits at position {@code positionOf[t]} and attends causally to positions
 * {@code 0 .. positionOf[t]} of its own sequence, found through {@code blockTables[sequence]}.
 * Arrays may be longer than {@code tokens}; only the first {@code tokens} entries count.
 *
 * <p>The head geometry is fixed per model; the token arrays change every step, so an engine keeps
 * one instance and {@link #set}s it per step rather than allocating one per decoded token.
 */
public final class AttentionBatch {

    private int tokens;
    private int[] sequenceOf;
    private int[] positionOf;
    private int[][] blockTables;
    private final int heads;
    private final int kvHeads;
    private final int headDimK;
    private final int headDimV;
    private final float scale;

    public AttentionBatch(int heads, int kvHeads, int headDimK, int headDimV, float scale) {
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDimK = headDimK;
        this.headDimV = headDimV;
        this.scale = scale;
    }

    public AttentionBatch(int tokens, int[] sequenceOf, int[] positionOf, int[][] blockTables, int heads, int kvHeads,
                          int headDimK, int headDimV, float scale) {
        this(heads, kvHeads, headDimK, headDimV, scale);
        set(tokens, sequenceOf, positionOf, blockTables);
    }

    /** Points this batch at one step's tokens. */
    public AttentionBatch set(int tokens, int[] sequenceOf, int[] positionOf, int[][] blockTables) {
        this.tokens = tokens;
        this.sequenceOf = sequenceOf;
        this.positionOf = positionOf;
        this.blockTables = blockTables;
        return this;
    }

    public int tokens() {
        return tokens;
    }

    public int[] sequenceOf() {
        return sequenceOf;
    }

    public int[] positionOf() {
        return positionOf;
    }

    public int[][] blockTables() {
        return blockTables;
    }

    public int heads() {
        return heads;
    }

    public int kvHeads() {
        return kvHeads;
    }

    public int headDimK() {
        return headDimK;
    }

    public int headDimV() {
        return headDimV;
    }

    public float scale() {
        return scale;
    }
}
