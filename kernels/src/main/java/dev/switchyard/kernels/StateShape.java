package dev.switchyard.kernels;

/**
 * The shape of {@link RecurrentStates}: for each of {@code layers} blocks and {@code sequences}
 * sequence slots, {@code heads} matrices of {@code keyDim x valueDim} floats.
 */
public record StateShape(int layers, int sequences, int heads, int keyDim, int valueDim) {

    public StateShape {
        if (layers <= 0 || sequences <= 0 || heads <= 0 || keyDim <= 0 || valueDim <= 0) {
            throw new IllegalArgumentException("bad recurrent state shape: " + describe(layers, sequences, heads, keyDim,
                    valueDim));
        }
    }

    /** Floats of one sequence's state in one layer: heads x keyDim x valueDim. */
    public long floatsPerSequenceLayer() {
        return (long) heads * keyDim * valueDim;
    }

    @Override
    public String toString() {
        return describe(layers, sequences, heads, keyDim, valueDim);
    }

    private static String describe(int layers, int sequences, int heads, int keyDim, int valueDim) {
        return layers + " layers x " + sequences + " sequences x " + heads + " heads of " + keyDim + " x " + valueDim;
    }
}
