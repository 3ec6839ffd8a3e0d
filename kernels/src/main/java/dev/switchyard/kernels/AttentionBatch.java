package dev.switchyard.kernels;

/**
 * Which cached positions each token of a step attends to: token {@code t} belongs to sequence
 * {@code sequenceOf[t]}, sits at position {@code positionOf[t]} and attends causally to positions
 * {@code 0 .. positionOf[t]} of its own sequence, found through {@code blockTables[sequence]}.
 * Arrays may be longer than {@code tokens}; only the first {@code tokens} entries count.
 *
 * <p>The head geometry is fixed per model; the token arrays change every step, so an engine keeps
 * one instance and {@link #set}s it per step rather than allocating one per decoded token.
 *
 * <p>With a {@link #valueOffset()} of 0 or more there is one KV head and no value cache: each
 * position's value is read from its cached key row, {@code headDimV} floats from that offset
 * (latent attention, whose value is the latent its key row holds after the rotary part).
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
    private final int valueOffset;

    public AttentionBatch(int heads, int kvHeads, int headDimK, int headDimV, float scale) {
        this(heads, kvHeads, headDimK, headDimV, scale, -1);
    }

    /** @param valueOffset where values start in each cached key row, or -1 for a value cache of their own */
    public AttentionBatch(int heads, int kvHeads, int headDimK, int headDimV, float scale, int valueOffset) {
        if (valueOffset >= 0 && (kvHeads != 1 || valueOffset + headDimV > headDimK)) {
            throw new IllegalArgumentException("values read from keys need one KV head and " + headDimV
                    + " floats from offset " + valueOffset + " within keys of " + headDimK);
        }
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDimK = headDimK;
        this.headDimV = headDimV;
        this.scale = scale;
        this.valueOffset = valueOffset;
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

    /** Where values start in each cached key row; -1 when they have a cache of their own. */
    public int valueOffset() {
        return valueOffset;
    }

    /** Whether values are read from the key cache. */
    public boolean valuesInKeys() {
        return valueOffset >= 0;
    }
}
