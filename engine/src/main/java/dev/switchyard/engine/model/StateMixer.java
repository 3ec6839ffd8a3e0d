package dev.switchyard.engine.model;

/**
 * What a recurrent block runs on each sequence's state after its short convolution: Qwen3.5's
 * gated delta rule ({@link DeltaNet}) or Mamba2's selective scan ({@link Mamba2}). Each keeps, per
 * sequence and block, {@link #stateHeads} matrices of {@link #stateRows} x {@link #stateColumns}
 * floats, whatever the sequence's length.
 */
public sealed interface StateMixer permits DeltaNet, Mamba2 {

    /** The channels the block's convolution mixes, one row per position. */
    int convolvedWidth();

    /** Width of the heads' outputs together, gated and normed before the projection back. */
    int outputWidth();

    /** Heads, each with a state of its own. */
    int stateHeads();

    /** Rows of each head's state. */
    int stateRows();

    /** Columns of each head's state (its rows are stored contiguously). */
    int stateColumns();

    /** Floats of one sequence's state in one block. */
    default long stateFloats() {
        return (long) stateHeads() * stateRows() * stateColumns();
    }
}
