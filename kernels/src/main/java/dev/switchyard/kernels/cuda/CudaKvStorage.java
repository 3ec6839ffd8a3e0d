package dev.switchyard.kernels.cuda;

import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.KvStorage;

/**
 * Paged K/V cache in device memory: per layer {@code blocks * blockSize} slots, slot s of layer l
 * holding its keys at {@code keys + e ((l * slots + s) * keyDim)} and its values likewise in
 * {@code values}, e being the bytes of one element of its {@link KvCacheType} (4 for floats, 2 for
 * halves). Slot-major, unlike the CPU backend's head-major blocks: a warp reads one head's keys of
 * a slot as one coalesced run either way.
 */
public final class CudaKvStorage implements KvStorage {

    private final CudaContext ctx;
    private final int layers;
    private final int blocks;
    private final int blockSize;
    private final int kvHeads;
    private final int keyDim;
    private final int valueDim;
    private final KvCacheType type;
    private final long keys;
    private final long values;
    private boolean closed;

    CudaKvStorage(CudaContext ctx, int layers, int blocks, int blockSize, int kvHeads, int keyDim, int valueDim,
                  KvCacheType type) {
        // valueDim 0: keys only (latent attention reads its values from them)
        if (layers <= 0 || blocks <= 0 || blockSize <= 0 || kvHeads <= 0 || keyDim <= 0 || valueDim < 0
                || keyDim % kvHeads != 0 || valueDim % kvHeads != 0) {
            throw new IllegalArgumentException("bad KV shape: " + kvHeads + " heads of " + keyDim + " keys and "
                    + valueDim + " values");
        }
        if ((long) blocks * blockSize > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("too many KV slots: " + (long) blocks * blockSize);
        }
        this.ctx = ctx;
        this.layers = layers;
        this.blocks = blocks;
        this.blockSize = blockSize;
        this.kvHeads = kvHeads;
        this.keyDim = keyDim;
        this.valueDim = valueDim;
        this.type = java.util.Objects.requireNonNull(type, "type");
        long slots = (long) blocks * blockSize;
        this.keys = ctx.allocate((long) type.bytes() * layers * slots * keyDim);
        long v = 0;
        try {
            if (valueDim > 0) {
                v = ctx.allocate((long) type.bytes() * layers * slots * valueDim);
            }
        } catch (RuntimeException e) {
            ctx.free(keys);
            throw e;
        }
        this.values = v;
    }

    /** Device address of layer {@code layer}'s keys. */
    long keys(int layer) {
        check(layer);
        return keys + (long) type.bytes() * layer * slots() * keyDim;
    }

    long values(int layer) {
        check(layer);
        return values + (long) type.bytes() * layer * slots() * valueDim;
    }

    private long slots() {
        return (long) blocks * blockSize;
    }

    private void check(int layer) {
        if (closed) {
            throw new IllegalStateException("KV storage is closed");
        }
        java.util.Objects.checkIndex(layer, layers);
    }

    @Override
    public int layers() {
        return layers;
    }

    @Override
    public int blocks() {
        return blocks;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public int kvHeads() {
        return kvHeads;
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
    public KvCacheType type() {
        return type;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (ctx.isClosed()) {
                return; // the backend freed everything when it closed
            }
            ctx.makeCurrent();
            ctx.free(keys);
            if (values != 0) {
                ctx.free(values);
            }
        }
    }
}
