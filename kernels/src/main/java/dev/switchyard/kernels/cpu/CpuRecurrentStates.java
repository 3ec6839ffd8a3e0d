package dev.switchyard.kernels.cpu;

import dev.switchyard.kernels.RecurrentStates;

/**
 * Recurrent states on the heap: one array per layer and sequence slot, each head's
 * {@code keyDim x valueDim} matrix in turn, row by row (a key index's values side by side, so that
 * the delta rule's passes over value columns are vector runs). One array per sequence keeps each
 * far below Java's array limit however many slots there are.
 */
final class CpuRecurrentStates implements RecurrentStates {

    private final int layers;
    private final int sequences;
    private final int heads;
    private final int keyDim;
    private final int valueDim;
    private float[][][] states;

    CpuRecurrentStates(int layers, int sequences, int heads, int keyDim, int valueDim) {
        if (layers <= 0 || sequences <= 0 || heads <= 0 || keyDim <= 0 || valueDim <= 0) {
            throw new IllegalArgumentException("bad recurrent state shape: " + layers + " layers, " + sequences
                    + " sequences, " + heads + " heads of " + keyDim + " x " + valueDim);
        }
        long perSequence = (long) heads * keyDim * valueDim;
        if (perSequence > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("a sequence's recurrent state of " + perSequence + " floats is too large");
        }
        this.layers = layers;
        this.sequences = sequences;
        this.heads = heads;
        this.keyDim = keyDim;
        this.valueDim = valueDim;
        this.states = new float[layers][sequences][(int) perSequence];
    }

    /** Layer {@code layer}'s state of {@code sequence}: head h's row i at {@code (h * keyDim + i) * valueDim}. */
    float[] state(int layer, int sequence) {
        if (states == null) {
            throw new IllegalStateException("recurrent states closed");
        }
        return states[layer][sequence];
    }

    @Override
    public int layers() {
        return layers;
    }

    @Override
    public int sequences() {
        return sequences;
    }

    @Override
    public int heads() {
        return heads;
    }

    @Override
    public int keyDim() {
        return keyDim;
    }

    @Override
    public int valueDim() {
        return valueDim;
    }

    @Override
    public void close() {
        states = null;
    }

    @Override
    public String toString() {
        return "CpuRecurrentStates[" + layers + " layers x " + sequences + " sequences x " + heads + " heads of "
                + keyDim + " x " + valueDim + "]";
    }
}
