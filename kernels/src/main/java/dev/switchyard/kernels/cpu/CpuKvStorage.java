package dev.switchyard.kernels.cpu;

import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.KvStorage;

/**
 * Paged K/V cache on the heap: per layer one array of keys and one of values, slot-major (slot s
 * holds {@code keyDim} keys at {@code s * keyDim}), with {@code blocks * blockSize} slots. Float
 * arrays for {@link KvCacheType#F32}, arrays of IEEE half bits for {@link KvCacheType#F16}.
 */
public final class CpuKvStorage implements KvStorage {

    private final int layers;
    private final int blocks;
    private final int blockSize;
    private final int keyDim;
    private final int valueDim;
    private final KvCacheType type;
    private float[][] keys;
    private float[][] values;
    private short[][] halfKeys;
    private short[][] halfValues;
    private boolean closed;

    CpuKvStorage(int layers, int blocks, int blockSize, int keyDim, int valueDim, KvCacheType type) {
        // valueDim 0: keys only (latent attention reads its values from them)
        if (layers <= 0 || blocks <= 0 || blockSize <= 0 || keyDim <= 0 || valueDim < 0) {
            throw new IllegalArgumentException("bad KV shape");
        }
        long slots = (long) blocks * blockSize;
        if (slots * Math.max(keyDim, valueDim) > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("KV layer too large for one array: " + slots + " slots");
        }
        this.layers = layers;
        this.blocks = blocks;
        this.blockSize = blockSize;
        this.keyDim = keyDim;
        this.valueDim = valueDim;
        this.type = java.util.Objects.requireNonNull(type, "type");
        if (type == KvCacheType.F16) {
            this.halfKeys = new short[layers][(int) (slots * keyDim)];
            this.halfValues = new short[layers][(int) (slots * valueDim)];
        } else {
            this.keys = new float[layers][(int) (slots * keyDim)];
            this.values = new float[layers][(int) (slots * valueDim)];
        }
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

    /** Keys of a layer of an F32 cache: slot s at {@code s * keyDim}. */
    public float[] keys(int layer) {
        open(KvCacheType.F32);
        return keys[layer];
    }

    /** Values of a layer of an F32 cache: slot s at {@code s * valueDim}. */
    public float[] values(int layer) {
        open(KvCacheType.F32);
        return values[layer];
    }

    /** Keys of a layer of an F16 cache, as half bits: slot s at {@code s * keyDim}. */
    public short[] halfKeys(int layer) {
        open(KvCacheType.F16);
        return halfKeys[layer];
    }

    /** Values of a layer of an F16 cache, as half bits: slot s at {@code s * valueDim}. */
    public short[] halfValues(int layer) {
        open(KvCacheType.F16);
        return halfValues[layer];
    }

    private void open(KvCacheType asked) {
        if (closed) {
            throw new IllegalStateException("KV storage is closed");
        }
        if (asked != type) {
            throw new IllegalStateException("this KV cache holds " + type.label() + ", not " + asked.label());
        }
    }

    @Override
    public void close() {
        closed = true;
        keys = null;
        values = null;
        halfKeys = null;
        halfValues = null;
    }
}
