package dev.switchyard.kernels;

/**
 * The per-sequence state of blocks that carry one from token to token instead of attending to a
 * cache (Qwen3.5's and Qwen3-Next's gated delta net): for every layer, sequence slot and head, a
 * {@code keyDim x valueDim} matrix of floats, row {@code i} (a key index) holding {@code valueDim}
 * values. Sequence slots are the scheduler's, as for {@link KvStorage}; which slot a sequence uses
 * and when it starts afresh is the engine's business. Allocated zeroed.
 */
public interface RecurrentStates extends AutoCloseable {

    StateShape shape();

    default int layers() {
        return shape().layers();
    }

    default int sequences() {
        return shape().sequences();
    }

    default int heads() {
        return shape().heads();
    }

    default int keyDim() {
        return shape().keyDim();
    }

    default int valueDim() {
        return shape().valueDim();
    }

    /** Floats of one sequence's state in one layer: heads x keyDim x valueDim. */
    default long floatsPerSequenceLayer() {
        return shape().floatsPerSequenceLayer();
    }

    @Override
    void close();
}
