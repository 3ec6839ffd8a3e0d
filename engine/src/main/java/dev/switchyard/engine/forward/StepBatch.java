package dev.switchyard.engine.forward;

import java.util.Objects;

/**
 * The tokens of one model step, from any number of sequences: a prompt chunk or one decode token
 * each. Preallocated for a maximum token count and refilled every step, so a step allocates nothing.
 * Token rows of one sequence must appear in position order.
 */
public final class StepBatch {

    final int capacity;
    int tokens;
    final int[] tokenIds;
    final int[] sequenceOf;
    final int[] positionOf;
    final int[] logitRows;
    final boolean[] generated;
    final boolean[] greedyOnly;   // per logit row: only the greedy token and its log-probability are wanted
    final int[] greedyTokens;     // per logit row, after the step: that token, or -1 where the logits were read
    final double[] greedyLogprobs;
    int logitCount;

    public StepBatch(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a step holds at least one token");
        }
        this.capacity = capacity;
        this.tokenIds = new int[capacity];
        this.sequenceOf = new int[capacity];
        this.positionOf = new int[capacity];
        this.logitRows = new int[capacity];
        this.generated = new boolean[capacity];
        this.greedyOnly = new boolean[capacity];
        this.greedyTokens = new int[capacity];
        this.greedyLogprobs = new double[capacity];
    }

    public void clear() {
        tokens = 0;
        logitCount = 0;
    }

    /** Appends a prompt token; see {@link #add(int, int, int, boolean, boolean)}. */
    public void add(int sequence, int token, int position, boolean wantLogits) {
        add(sequence, token, position, wantLogits, false);
    }

    /** Appends a token whose logits, if wanted, are read in full; see {@link #add(int, int, int, boolean, boolean, boolean)}. */
    public void add(int sequence, int token, int position, boolean wantLogits, boolean generated) {
        add(sequence, token, position, wantLogits, generated, false);
    }

    /**
     * Appends a token of {@code sequence} at {@code position}. With {@code wantLogits} the step
     * produces this token's logits, in the order such tokens were added. {@code generated} marks a
     * token the model produced (rather than one of the prompt): capacity-aware dispatch gives each
     * such token a capacity group of its own, also when it is recomputed after preemption. With
     * {@code greedyOnly} (and {@code wantLogits}) the caller needs only the greedy token and its
     * log-probability: the step then leaves the logits on the backend and reports those two
     * ({@link #greedyToken}), which on a GPU spares reading back the whole vocabulary.
     */
    public void add(int sequence, int token, int position, boolean wantLogits, boolean generated, boolean greedyOnly) {
        if (tokens == capacity) {
            throw new IllegalStateException("step is full (" + capacity + " tokens)");
        }
        tokenIds[tokens] = token;
        sequenceOf[tokens] = sequence;
        positionOf[tokens] = position;
        this.generated[tokens] = generated;
        if (wantLogits) {
            this.greedyOnly[logitCount] = greedyOnly;
            logitRows[logitCount++] = tokens;
        }
        tokens++;
    }

    public int tokens() {
        return tokens;
    }

    public int capacity() {
        return capacity;
    }

    /** The sequence (slot) of token {@code i}. */
    public int sequenceOf(int i) {
        return sequenceOf[i];
    }

    /** The id of token {@code i}. */
    public int tokenAt(int i) {
        return tokenIds[i];
    }

    /** The position of token {@code i} in its sequence. */
    public int positionOf(int i) {
        return positionOf[i];
    }

    /** Whether token {@code i} is one the model generated rather than a prompt token. */
    public boolean isGenerated(int i) {
        return generated[i];
    }

    public int logitCount() {
        return logitCount;
    }

    /**
     * After a step, for the {@code i}-th token that wanted logits: the greedy token (the lowest id of
     * the largest logit) where the token was added greedy-only, or -1 where its logits were read
     * instead (not greedy-only, or a row the sampler must look at: NaN, +infinity, all masked).
     */
    public int greedyToken(int i) {
        return greedyTokens[Objects.checkIndex(i, logitCount)];
    }

    /** The natural-log probability of {@link #greedyToken(int)}, when that is not -1. */
    public double greedyLogprob(int i) {
        return greedyLogprobs[Objects.checkIndex(i, logitCount)];
    }

    public boolean isFull() {
        return tokens == capacity;
    }
}
