package dev.switchyard.engine.kv;

import java.util.function.IntUnaryOperator;

/**
 * Which KV-cache blocks each sequence owns. Sequences are small integer ids chosen by the caller
 * (a scheduler slot); positions of a sequence map to physical slots through its block table, so a
 * sequence's cache need not be contiguous and freed blocks are reused by anyone.
 */
public interface KvCache {

    int blockSize();

    /** Total blocks in the pool. */
    int capacityBlocks();

    int freeBlocks();

    /**
     * Makes room for positions {@code 0 .. positions-1} of {@code sequence}, taking blocks from the
     * pool as needed. Returns false, taking nothing, when the pool has too few free blocks.
     */
    boolean reserve(int sequence, int positions);

    /** Positions the sequence has room for. */
    int reservedPositions(int sequence);

    /** The physical slot of a reserved position. */
    int slot(int sequence, int position);

    /**
     * The sequence's block table: physical block of each logical block. The array may be longer
     * than the blocks in use and is owned by the cache; it is valid until the next reserve/release.
     */
    int[] blockTable(int sequence);

    /** Returns all of the sequence's blocks to the pool. */
    void release(int sequence);

    /** Whether this cache reuses the blocks of prompts it has seen ({@link #attachPrefix}). */
    default boolean cachesPrefixes() {
        return false;
    }

    /**
     * Gives an empty sequence whatever blocks the cache still holds for its first positions (at
     * most {@code positions}, whole blocks), their keys and values already written; {@code tokenAt}
     * names the sequence's token at a position. Returns the positions covered: the sequence then
     * computes from there on. 0 where the cache reuses nothing. Only blocks written under the same
     * {@code salt} (null: none) are taken, and the blocks this sequence writes are remembered under it.
     */
    default int attachPrefix(int sequence, IntUnaryOperator tokenAt, int positions, String salt) {
        return 0;
    }

    /**
     * Tells the cache that the keys and values of the sequence's first {@code written} positions are
     * written, so that its full blocks among them may serve later sequences that start the same way.
     */
    default void blocksWritten(int sequence, IntUnaryOperator tokenAt, int written) {
    }
}
