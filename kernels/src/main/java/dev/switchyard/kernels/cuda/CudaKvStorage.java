package dev.switchyard.kernels.cuda;

import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.KvQ8;
import dev.switchyard.kernels.KvStorage;

/**
 * Paged K/V cache in device memory: per layer {@code blocks * blockSize} slots, slot s of layer l
 * holding its keys at {@code keys + e ((l * slots + s) * keyDim)} and its values likewise in
 * {@code values}, e being the bytes of one element of its {@link KvCacheType} (4 for floats, 2 for
 * halves, 1 for a Q8_0 cache's bytes). Slot-major, unlike the CPU backend's head-major blocks: a
 * warp reads one head's keys of a slot as one coalesced run either way. A Q8_0 cache also keeps its
 * half scales, slot-major as well: slot s of layer l's key scales at {@code keyScales + 2 ((l * slots
 * + s) * keyScaleStride)}, each KV head's groups in turn (attention.cu).
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
    private final long keyScales;     // a Q8_0 cache's, else 0
    private final long valueScales;
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
        long[] allocated = new long[4];   // keys, values, key scales, value scales; 0 where none
        try {
            allocated[0] = ctx.allocate((long) type.bytes() * layers * slots * keyDim);
            if (valueDim > 0) {
                allocated[1] = ctx.allocate((long) type.bytes() * layers * slots * valueDim);
            }
            if (type == KvCacheType.Q8_0) {
                allocated[2] = ctx.allocate(2L * layers * slots * keyScaleStride());
                if (valueDim > 0) {
                    allocated[3] = ctx.allocate(2L * layers * slots * valueScaleStride());
                }
            }
        } catch (RuntimeException e) {
            for (long a : allocated) {
                if (a != 0) {
                    ctx.free(a);
                }
            }
            throw e;
        }
        this.keys = allocated[0];
        this.values = allocated[1];
        this.keyScales = allocated[2];
        this.valueScales = allocated[3];
    }

    /** Scales per slot of a Q8_0 cache's keys: each KV head's groups. */
    int keyScaleStride() {
        return kvHeads * KvQ8.groups(keyDim / kvHeads);
    }

    /** Scales per slot of a Q8_0 cache's values (0 without values). */
    int valueScaleStride() {
        return valueDim == 0 ? 0 : kvHeads * KvQ8.groups(valueDim / kvHeads);
    }

    /** Device address of layer {@code layer}'s key scales (a Q8_0 cache). */
    long keyScales(int layer) {
        check(layer);
        return keyScales + 2L * layer * slots() * keyScaleStride();
    }

    /** Device address of layer {@code layer}'s value scales (a Q8_0 cache with values). */
    long valueScales(int layer) {
        check(layer);
        return valueScales + 2L * layer * slots() * valueScaleStride();
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
            ctx.freeOwned(keys, values, keyScales, valueScales);
        }
    }
}
