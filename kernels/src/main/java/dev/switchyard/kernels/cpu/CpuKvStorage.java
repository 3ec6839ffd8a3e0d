package dev.switchyard.kernels.cpu;

import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.KvQ8;
import dev.switchyard.kernels.KvStorage;

/**
 * Paged K/V cache on the heap: per layer one array of keys and one of values for {@code blocks *
 * blockSize} slots, laid out block by block and, within a block, KV head by KV head, so that
 * attention, which walks one KV head's positions at a time, streams each block's part as one run
 * (slot-major rows would give it {@code hk} elements every {@code keyDim}, a page apart for large
 * models). Within a block and KV head, values are rows: slot s (offset o) holds its {@code hv}
 * values at {@code ((b * kvHeads + g) * blockSize + o) * hv} ({@link #valueOffset}). Keys go
 * dimension by dimension: dimension d of every slot of the block side by side, at
 * {@code ((b * kvHeads + g) * hk + d) * blockSize + o} ({@link #keyIndex}), so that attention scores
 * a whole block with one vector of keys per dimension ({@link BlockScores}). A cache without values
 * (latent attention reads them from the keys, as rows) keeps its keys as rows too. Float arrays for
 * {@link KvCacheType#F32}, arrays of IEEE half bits for {@link KvCacheType#F16}. A
 * {@link KvCacheType#Q8_0} cache keeps signed bytes where the others keep elements, and its half
 * scales ({@link dev.switchyard.kernels.KvQ8}) in arrays of their own, laid out like the elements
 * they scale: a block's scales of key group j side by side ({@link #keyScaleIndex}), a value row's
 * groups in a row ({@link #valueScaleIndex}).
 */
public final class CpuKvStorage implements KvStorage {

    private final int layers;
    private final int blocks;
    private final int blockSize;
    private final int kvHeads;
    private final int keyDim;
    private final int valueDim;
    private final KvCacheType type;
    private float[][] keys;
    private float[][] values;
    private short[][] halfKeys;
    private short[][] halfValues;
    private byte[][] quantKeys;
    private byte[][] quantValues;
    private short[][] keyScales;
    private short[][] valueScales;
    private boolean closed;

    CpuKvStorage(int layers, int blocks, int blockSize, int kvHeads, int keyDim, int valueDim, KvCacheType type) {
        // valueDim 0: keys only (latent attention reads its values from them)
        if (layers <= 0 || blocks <= 0 || blockSize <= 0 || kvHeads <= 0 || keyDim <= 0 || valueDim < 0
                || keyDim % kvHeads != 0 || valueDim % kvHeads != 0) {
            throw new IllegalArgumentException("bad KV shape: " + kvHeads + " heads of " + keyDim + " keys and "
                    + valueDim + " values");
        }
        long slots = (long) blocks * blockSize;
        if (slots * Math.max(keyDim, valueDim) > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("KV layer too large for one array: " + slots + " slots");
        }
        this.layers = layers;
        this.blocks = blocks;
        this.blockSize = blockSize;
        this.kvHeads = kvHeads;
        this.keyDim = keyDim;
        this.valueDim = valueDim;
        this.type = java.util.Objects.requireNonNull(type, "type");
        if (type == KvCacheType.F16) {
            this.halfKeys = new short[layers][(int) (slots * keyDim)];
            this.halfValues = new short[layers][(int) (slots * valueDim)];
        } else if (type == KvCacheType.Q8_0) {
            this.quantKeys = new byte[layers][(int) (slots * keyDim)];
            this.quantValues = new byte[layers][(int) (slots * valueDim)];
            this.keyScales = new short[layers][(int) (slots * kvHeads * keyGroups())];
            this.valueScales = new short[layers][(int) (slots * kvHeads * valueGroups())];
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
    public int kvHeads() {
        return kvHeads;
    }

    /**
     * Whether keys are stored dimension by dimension within a block (every cache with values of its
     * own); else as rows, like values.
     */
    public boolean keysByDimension() {
        return valueDim > 0;
    }

    /** Where element {@code d} of KV head {@code head}'s key of slot {@code slot} is in a layer's key array. */
    public int keyIndex(int slot, int head, int d) {
        int hk = keyDim / kvHeads;
        if (!keysByDimension()) {
            return offset(slot, head, hk) + d;
        }
        return ((slot / blockSize * kvHeads + head) * hk + d) * blockSize + slot % blockSize;
    }

    /** Where KV head {@code head}'s values of slot {@code slot} start in a layer's value array. */
    public int valueOffset(int slot, int head) {
        return offset(slot, head, valueDim / kvHeads);
    }

    /** Scale groups of a KV head's keys (Q8_0). */
    public int keyGroups() {
        return KvQ8.groups(keyDim / kvHeads);
    }

    /** Scale groups of a KV head's values (Q8_0). */
    public int valueGroups() {
        return KvQ8.groups(valueDim / kvHeads);
    }

    /**
     * Where the scale of group {@code group} of KV head {@code head}'s key of slot {@code slot} is in
     * a layer's key scales: for keys by dimension, a block's slots side by side for each group (a
     * block's keys are widened a dimension at a time); for key rows, a row's groups in a row.
     */
    public int keyScaleIndex(int slot, int head, int group) {
        int run = slot / blockSize * kvHeads + head;
        if (keysByDimension()) {
            return (run * keyGroups() + group) * blockSize + slot % blockSize;
        }
        return (run * blockSize + slot % blockSize) * keyGroups() + group;
    }

    /** Where the scale of group {@code group} of KV head {@code head}'s values of slot {@code slot} is. */
    public int valueScaleIndex(int slot, int head, int group) {
        return ((slot / blockSize * kvHeads + head) * blockSize + slot % blockSize) * valueGroups() + group;
    }

    private int offset(int slot, int head, int width) {
        return ((slot / blockSize * kvHeads + head) * blockSize + slot % blockSize) * width;
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

    /** Keys of a layer of an F32 cache ({@link #keyIndex}). */
    public float[] keys(int layer) {
        open(KvCacheType.F32);
        return keys[layer];
    }

    /** Values of a layer of an F32 cache ({@link #valueOffset}). */
    public float[] values(int layer) {
        open(KvCacheType.F32);
        return values[layer];
    }

    /** Keys of a layer of an F16 cache, as half bits ({@link #keyIndex}). */
    public short[] halfKeys(int layer) {
        open(KvCacheType.F16);
        return halfKeys[layer];
    }

    /** Values of a layer of an F16 cache, as half bits ({@link #valueOffset}). */
    public short[] halfValues(int layer) {
        open(KvCacheType.F16);
        return halfValues[layer];
    }

    /** Quantized keys of a layer of a Q8_0 cache ({@link #keyIndex}). */
    public byte[] quantKeys(int layer) {
        open(KvCacheType.Q8_0);
        return quantKeys[layer];
    }

    /** Quantized values of a layer of a Q8_0 cache ({@link #valueOffset}). */
    public byte[] quantValues(int layer) {
        open(KvCacheType.Q8_0);
        return quantValues[layer];
    }

    /** Half scales of a layer's keys in a Q8_0 cache ({@link #keyScaleIndex}). */
    public short[] keyScales(int layer) {
        open(KvCacheType.Q8_0);
        return keyScales[layer];
    }

    /** Half scales of a layer's values in a Q8_0 cache ({@link #valueScaleIndex}). */
    public short[] valueScales(int layer) {
        open(KvCacheType.Q8_0);
        return valueScales[layer];
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
        quantKeys = null;
        quantValues = null;
        keyScales = null;
        valueScales = null;
    }
}
