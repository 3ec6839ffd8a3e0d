package dev.switchyard.engine.forward;

import dev.switchyard.engine.lora.LoraMix;
import dev.switchyard.engine.sampling.RowCandidates;
import dev.switchyard.kernels.Backend;
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
    /** Per token: the LoRA adapters its sequence applies ({@link LoraMix#NONE}: the base model). */
    final LoraMix[] adapters;
    final int[] candidatesWanted; // per logit row: how many best tokens settle its sampler, 0 to read the row
    int candidateCount;           // after a step: best tokens found per logit row (the most any wanted), or 0
    int[] candidateIds = new int[0];       // (logit rows, candidateCount); a row's first id -1: the row was read
    float[] candidateValues = new float[0];
    final double[] candidateLogZ;
    int logitCount;
    /** Tokens whose final hidden state (after the output norm) the step reads back, for embeddings. */
    final int[] hiddenRows;
    int hiddenCount;
    /** After a step: the hidden states of {@link #hiddenRows}, in order; grown when first needed. */
    float[][] hiddenValues = new float[0][];

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
        this.adapters = new LoraMix[capacity];
        this.candidatesWanted = new int[capacity];
        this.candidateLogZ = new double[capacity];
        this.hiddenRows = new int[capacity];
    }

    public void clear() {
        tokens = 0;
        logitCount = 0;
        candidateCount = 0;
        hiddenCount = 0;
    }

    /** Appends a prompt token; see {@link #add(int, int, int, boolean, boolean)}. */
    public void add(int sequence, int token, int position, boolean wantLogits) {
        add(sequence, token, position, wantLogits, false);
    }

    /** Appends a token whose logits, if wanted, are read in full; see {@link #add(int, int, int, boolean, boolean, int)}. */
    public void add(int sequence, int token, int position, boolean wantLogits, boolean generated) {
        add(sequence, token, position, wantLogits, generated, 0);
    }

    /**
     * Appends a token of {@code sequence} at {@code position}. With {@code wantLogits} the step
     * produces this token's logits, in the order such tokens were added. {@code generated} marks a
     * token the model produced (rather than one of the prompt): capacity-aware dispatch gives each
     * such token a capacity group of its own, also when it is recomputed after preemption. With
     * {@code candidates} above 0 (and {@code wantLogits}) the caller's sampler is settled by the row's
     * best {@code candidates} tokens ({@code Sampler.candidatesNeeded()}): the step then leaves the
     * logits on the backend and reports those ({@link #candidatesOf}), which on a GPU spares reading
     * back the whole vocabulary.
     */
    public void add(int sequence, int token, int position, boolean wantLogits, boolean generated, int candidates) {
        add(sequence, token, position, wantLogits, generated, candidates, LoraMix.NONE);
    }

    /**
     * As above, the token's products adapted by the LoRA adapters {@code adapters} applies (its
     * sequence's; {@link LoraMix#NONE} for the base model), whatever the step's other tokens apply.
     */
    public void add(int sequence, int token, int position, boolean wantLogits, boolean generated, int candidates,
                    LoraMix adapters) {
        if (candidates < 0 || candidates > Backend.MAX_TOP_ROWS) {
            throw new IllegalArgumentException("cannot ask for the best " + candidates + " tokens of a row");
        }
        if (tokens == capacity) {
            throw new IllegalStateException("step is full (" + capacity + " tokens)");
        }
        tokenIds[tokens] = token;
        sequenceOf[tokens] = sequence;
        positionOf[tokens] = position;
        this.generated[tokens] = generated;
        this.adapters[tokens] = java.util.Objects.requireNonNull(adapters, "adapters");
        if (wantLogits) {
            this.candidatesWanted[logitCount] = candidates;
            logitRows[logitCount++] = tokens;
        }
        tokens++;
    }

    public int tokens() {
        return tokens;
    }

    /** Asks for the final hidden state (after the output norm) of the token added last: an embedding's row. */
    public void wantHidden() {
        if (tokens == 0) {
            throw new IllegalStateException("no token to read the hidden state of");
        }
        hiddenRows[hiddenCount++] = tokens - 1;
    }

    public int hiddenCount() {
        return hiddenCount;
    }

    /** The token (row of this step) that the {@code i}-th hidden state belongs to. */
    public int hiddenRow(int i) {
        Objects.checkIndex(i, hiddenCount);
        return hiddenRows[i];
    }

    /** After a step, the {@code i}-th hidden state asked for (valid until the next step). */
    public float[] hiddenState(int i) {
        Objects.checkIndex(i, hiddenCount);
        return hiddenValues[i];
    }

    /** Room for {@code count} hidden states of {@code width}, grown only when a step needs more. */
    void ensureHidden(int count, int width) {
        if (hiddenValues.length < count || hiddenValues[0].length != width) {
            hiddenValues = new float[Math.max(count, Math.min(capacity, Math.max(16, 2 * count)))][width];
        }
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

    /** The LoRA adapters token {@code i} applies. */
    public LoraMix adaptersOf(int i) {
        Objects.checkIndex(i, tokens);
        return adapters[i];
    }

    /** Whether token {@code i} is one the model generated rather than a prompt token. */
    public boolean isGenerated(int i) {
        return generated[i];
    }

    public int logitCount() {
        return logitCount;
    }

    /** The token (row of this step) that the {@code i}-th logit row belongs to. */
    public int logitRow(int i) {
        Objects.checkIndex(i, logitCount);
        return logitRows[i];
    }

    /**
     * After a step, for the {@code i}-th token that wanted logits: whether the step found its best
     * tokens, pointing {@code into} at them if so; false where its logits were read instead (no
     * candidates asked for, or a row the sampler must look at: NaN, +infinity, all masked).
     */
    public boolean candidatesOf(int i, RowCandidates into) {
        Objects.checkIndex(i, logitCount);
        if (!settledByCandidates(i)) {
            return false;
        }
        into.view(candidateIds, candidateValues, i * candidateCount, candidateCount, candidateLogZ[i]);
        return true;
    }

    /** Whether logit row {@code i} wanted candidates and the backend found them. */
    boolean settledByCandidates(int i) {
        return candidatesWanted[i] > 0 && candidateCount > 0 && candidateIds[i * candidateCount] >= 0;
    }

    /** Room for {@code count} candidates of each logit row, grown only when a step needs more. */
    void ensureCandidates(int count) {
        int size = logitCount * count;
        if (candidateIds.length < size) {
            int grown = Math.max(size, Math.min(capacity, 4 * logitCount) * count);
            candidateIds = new int[grown];
            candidateValues = new float[grown];
        }
        candidateCount = count;
    }

    public boolean isFull() {
        return tokens == capacity;
    }
}
