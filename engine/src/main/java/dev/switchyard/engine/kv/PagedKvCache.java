package dev.switchyard.engine.kv;

import java.util.Arrays;

/**
 * A pool of fixed-size KV blocks handed to sequences on demand (vLLM's paged attention layout):
 * memory is committed per block as sequences grow, never per maximum context.
 */
public final class PagedKvCache implements KvCache {

    private final int blockSize;
    private final int capacity;
    private final int[] freeStack;
    private int freeCount;
    private int[][] tables;
    private int[] blocksUsed;

    public PagedKvCache(int blocks, int blockSize, int maxSequences) {
        if (blocks < 1 || blockSize < 1 || maxSequences < 1) {
            throw new IllegalArgumentException("blocks, block size and sequences must be positive");
        }
        this.blockSize = blockSize;
        this.capacity = blocks;
        this.freeStack = new int[blocks];
        // Hand out low block numbers first: easier to read in tests and traces.
        for (int i = 0; i < blocks; i++) {
            freeStack[i] = blocks - 1 - i;
        }
        this.freeCount = blocks;
        this.tables = new int[maxSequences][];
        this.blocksUsed = new int[maxSequences];
        Arrays.setAll(tables, i -> new int[4]);
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public int capacityBlocks() {
        return capacity;
    }

    @Override
    public int freeBlocks() {
        return freeCount;
    }

    @Override
    public boolean reserve(int sequence, int positions) {
        checkSequence(sequence);
        int needed = (positions + blockSize - 1) / blockSize;
        int extra = needed - blocksUsed[sequence];
        if (extra <= 0) {
            return true;
        }
        if (extra > freeCount) {
            return false;
        }
        if (tables[sequence].length < needed) {
            tables[sequence] = Arrays.copyOf(tables[sequence], Math.max(needed, 2 * tables[sequence].length));
        }
        for (int b = blocksUsed[sequence]; b < needed; b++) {
            tables[sequence][b] = freeStack[--freeCount];
        }
        blocksUsed[sequence] = needed;
        return true;
    }

    @Override
    public int reservedPositions(int sequence) {
        checkSequence(sequence);
        return blocksUsed[sequence] * blockSize;
    }

    @Override
    public int slot(int sequence, int position) {
        checkSequence(sequence);
        int block = position / blockSize;
        if (position < 0 || block >= blocksUsed[sequence]) {
            throw new IllegalArgumentException("position " + position + " of sequence " + sequence + " is not reserved");
        }
        return tables[sequence][block] * blockSize + position % blockSize;
    }

    @Override
    public int[] blockTable(int sequence) {
        checkSequence(sequence);
        return tables[sequence];
    }

    @Override
    public void release(int sequence) {
        checkSequence(sequence);
        for (int b = blocksUsed[sequence] - 1; b >= 0; b--) {
            freeStack[freeCount++] = tables[sequence][b];
        }
        blocksUsed[sequence] = 0;
    }

    private void checkSequence(int sequence) {
        if (sequence < 0 || sequence >= tables.length) {
            throw new IllegalArgumentException("sequence " + sequence + " is outside 0.." + (tables.length - 1));
        }
    }
}
