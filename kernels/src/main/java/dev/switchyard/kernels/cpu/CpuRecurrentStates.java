package dev.switchyard.kernels.cpu;

import dev.switchyard.kernels.RecurrentStates;
import dev.switchyard.kernels.StateShape;

/**
 * Recurrent states on the heap: one array per layer and sequence slot, each head's
 * {@code keyDim x valueDim} matrix in turn, row by row (a key index's values side by side, so that
 * the delta rule's passes over value columns are vector runs). One array per sequence keeps each
 * far below Java's array limit however many slots there are.
 */
final class CpuRecurrentStates implements RecurrentStates {

    private final StateShape shape;
    private float[][][] states;

    CpuRecurrentStates(StateShape shape) {
        long perSequence = shape.floatsPerSequenceLayer();
        if (perSequence > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("a sequence's recurrent state of " + perSequence + " floats is too large");
        }
        this.shape = shape;
        this.states = new float[shape.layers()][shape.sequences()][(int) perSequence];
    }

    /** Layer {@code layer}'s state of {@code sequence}: head h's row i at {@code (h * keyDim + i) * valueDim}. */
    float[] state(int layer, int sequence) {
        if (states == null) {
            throw new IllegalStateException("recurrent states closed");
        }
        return states[layer][sequence];
    }

    /** Every layer's state of slot {@code from} over slot {@code to}'s. */
    void copy(int from, int to) {
        java.util.Objects.checkIndex(from, shape.sequences());
        java.util.Objects.checkIndex(to, shape.sequences());
        if (from != to) {
            for (int l = 0; l < shape.layers(); l++) {
                float[] src = state(l, from);
                System.arraycopy(src, 0, state(l, to), 0, src.length);
            }
        }
    }

    @Override
    public StateShape shape() {
        return shape;
    }

    @Override
    public void close() {
        states = null;
    }

    @Override
    public String toString() {
        return "CpuRecurrentStates[" + shape + "]";
    }
}
