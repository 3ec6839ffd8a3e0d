package dev.switchyard.kernels.cpu;

import dev.switchyard.kernels.KvStorage;

/**
 * Paged K/V cache on the heap: per layer one float array of keys and one of values, slot-major
 * (slot s holds {@code keyDim} keys at {@code s * keyDim}), with {@code blocks * blockSize} slots.
 */
public final class CpuKvStorage implements KvStorage {

    private final int layers;
    private final int blocks;
    private final int blockSize;
    private final int keyDim;
    private final int valueDim;
    private float[][] keys;
    private float[][] values;

    CpuKvStorage(int layers, int blocks, int blockSize, int keyDim, int valueDim) {
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
        this.keys = new float[layers][(int) (slots * keyDim)];
        this.values = new float[layers][(int) (slots * valueDim)];
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

    /** Keys of a layer: slot s at {@code s * keyDim}. */
    public float[] keys(int layer) {
        return open()[layer];
    }

    /** Values of a layer: slot s at {@code s * valueDim}. */
    public float[] values(int layer) {
        open();
        return values[layer];
    }

    private float[][] open() {
        float[][] k = keys;
        if (k == null) {
            throw new IllegalStateException("KV storage is closed");
        }
        return k;
    }

    @Override
    public void close() {
        keys = null;
        values = null;
    }
}
