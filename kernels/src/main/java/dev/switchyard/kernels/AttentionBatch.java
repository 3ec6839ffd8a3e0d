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
 *
 * <p>Two settings change from layer to layer ({@link #layer}): a sliding window, under which token
 * {@code t} attends only to positions {@code positionOf[t] - window + 1 .. positionOf[t]}; and
 * attention sinks, one learned logit per query head that joins each softmax's denominator (and its
 * maximum) without a value of its own, so a head can attend to nothing (gpt-oss). Or, instead
 * of a window, chunks ({@link #chunked}): token {@code t} attends only to the positions of its own
 * chunk of {@code chunk} positions up to its own, {@code floor(positionOf[t] / chunk) * chunk ..
 * positionOf[t]} (Llama 4's rotated blocks).
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
    private int window;
    private float[] sinks;

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

    /**
     * Sets the layer about to attend: its sliding window in positions (0: none, every earlier
     * position), and its sinks (one logit per query head; null: none). Engines call it before each
     * layer's {@link Backend#attention}; a backend may keep {@code sinks} by identity, so a layer
     * passes the same array every time and never changes it.
     */
    public AttentionBatch layer(int window, float[] sinks) {
        if (window < 0) {
            throw new IllegalArgumentException("sliding window " + window);
        }
        if (sinks != null && sinks.length < heads) {
            throw new IllegalArgumentException(sinks.length + " attention sinks for " + heads + " heads");
        }
        this.window = window;
        this.sinks = sinks;
        return this;
    }

    /**
     * Sets the layer about to attend as attending within chunks of {@code chunk} positions, without
     * sinks (see the class comment).
     */
    public AttentionBatch chunked(int chunk) {
        if (chunk < 1) {
            throw new IllegalArgumentException("attention chunk " + chunk);
        }
        this.window = -chunk;
        this.sinks = null;
        return this;
    }

    /**
     * The current layer's sliding window in positions; 0 when it attends to every earlier position;
     * minus the chunk where it attends within chunks ({@link #chunked}). Backends pass it to their
     * kernels as it is.
     */
    public int window() {
        return window;
    }

    /** The current layer's per-head sink logits, or null. */
    public float[] sinks() {
        return sinks;
    }

    /** The first position token {@code t} attends to under the current layer's window or chunks. */
    public int firstPosition(int t) {
        int p = positionOf[t];
        return window > 0 ? Math.max(0, p - window + 1) : window < 0 ? p / -window * -window : 0;
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
