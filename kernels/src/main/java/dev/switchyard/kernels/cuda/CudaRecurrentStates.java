package dev.switchyard.kernels.cuda;

import dev.switchyard.kernels.RecurrentStates;
import java.util.Objects;

/**
 * Recurrent states in device memory, one allocation zeroed when made: layer l's state of sequence
 * slot s, head h, at {@code pointer + 4 (((l * sequences + s) * heads + h) * keyDim * valueDim)},
 * each head's matrix row by row (a key index's values side by side), as the CPU backend keeps it
 * and as delta_net.cu's threads, one value column each, read it in coalesced rows.
 */
public final class CudaRecurrentStates implements RecurrentStates {

    private final CudaContext ctx;
    private final int layers;
    private final int sequences;
    private final int heads;
    private final int keyDim;
    private final int valueDim;
    private final long pointer;
    private boolean closed;

    CudaRecurrentStates(CudaContext ctx, int layers, int sequences, int heads, int keyDim, int valueDim) {
        if (layers <= 0 || sequences <= 0 || heads <= 0 || keyDim <= 0 || valueDim <= 0) {
            throw new IllegalArgumentException("bad recurrent state shape: " + layers + " layers, " + sequences
                    + " sequences, " + heads + " heads of " + keyDim + " x " + valueDim);
        }
        this.ctx = ctx;
        this.layers = layers;
        this.sequences = sequences;
        this.heads = heads;
        this.keyDim = keyDim;
        this.valueDim = valueDim;
        long floats = (long) layers * sequences * floatsPerSequenceLayer();
        if (floats / floatsPerSequenceLayer() != (long) layers * sequences || floats > Long.MAX_VALUE / 4) {
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
        Objects.checkIndex(layer, layers);
        return pointer + 4L * layer * sequences * floatsPerSequenceLayer();
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
        if (!closed) {
            closed = true;
            if (ctx.isClosed()) {
                return; // the backend freed everything when it closed
            }
            ctx.makeCurrent();
            ctx.free(pointer);
        }
    }

    @Override
    public String toString() {
        return "CudaRecurrentStates[" + layers + " layers x " + sequences + " sequences x " + heads + " heads of "
                + keyDim + " x " + valueDim + "]";
    }
}
