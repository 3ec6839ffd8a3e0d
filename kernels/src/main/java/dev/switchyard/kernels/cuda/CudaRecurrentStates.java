package dev.switchyard.kernels.cuda;

import dev.switchyard.kernels.RecurrentStates;
import dev.switchyard.kernels.StateShape;
import java.util.Objects;

/**
 * Recurrent states in device memory, one allocation zeroed when made: layer l's state of sequence
 * slot s, head h, at {@code pointer + 4 (((l * sequences + s) * heads + h) * keyDim * valueDim)},
 * each head's matrix row by row (a key index's values side by side), as the CPU backend keeps it
 * and as delta_net.cu's threads, one value column each, read it in coalesced rows.
 */
public final class CudaRecurrentStates implements RecurrentStates {

    private final CudaContext ctx;
    private final StateShape shape;
    private final long pointer;
    private boolean closed;

    CudaRecurrentStates(CudaContext ctx, StateShape shape) {
        this.ctx = ctx;
        this.shape = shape;
        long floats = (long) shape.layers() * shape.sequences() * shape.floatsPerSequenceLayer();
        if (floats / shape.floatsPerSequenceLayer() != (long) shape.layers() * shape.sequences()
                || floats > Long.MAX_VALUE / 4) {
            throw new IllegalArgumentException(this + " would take more than " + Long.MAX_VALUE + " bytes");
        }
        long p = ctx.allocate(4L * floats);
        try {
            ctx.zero(p, floats);
        } catch (RuntimeException e) {
            ctx.free(p);
            throw e;
        }
        this.pointer = p;
    }

    /** Device address of layer {@code layer}'s states: slot s's heads {@code s * floatsPerSequenceLayer()} floats on. */
    long layer(int layer) {
        if (closed) {
            throw new IllegalStateException("recurrent states closed");
        }
        Objects.checkIndex(layer, shape.layers());
        return pointer + 4L * layer * shape.sequences() * shape.floatsPerSequenceLayer();
    }

    /** Queues copying every layer's state of slot {@code from} over slot {@code to}'s, on the stream. */
    void copy(int from, int to) {
        Objects.checkIndex(from, shape.sequences());
        Objects.checkIndex(to, shape.sequences());
        long bytes = 4L * shape.floatsPerSequenceLayer();
        if (from != to) {
            for (int l = 0; l < shape.layers(); l++) {
                long layer = layer(l);
                ctx.copy(layer + from * bytes, layer + to * bytes, bytes);
            }
        }
    }

    @Override
    public StateShape shape() {
        return shape;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            ctx.freeOwned(pointer);
        }
    }

    @Override
    public String toString() {
        return "CudaRecurrentStates[" + shape + "]";
    }
}
