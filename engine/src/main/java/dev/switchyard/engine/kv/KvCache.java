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
     * computes from there on. 0 where the cache reuses nothing. Only blocks written under an equal
     * {@code salt} (null: none) are taken, and the blocks this sequence writes are remembered under it.
     * The salt is any value with equality: a tenant's string, or what else decided the blocks'
     * contents ({@code GenerationRequest.prefixScope()}: the LoRA adapters applied).
     */
    default int attachPrefix(int sequence, IntUnaryOperator tokenAt, int positions, Object salt) {
        return 0;
    }

    /**
     * Tells the cache that the keys and values of the sequence's first {@code written} positions are
     * written, so that its full blocks among them may serve later sequences that start the same way.
     */
    default void blocksWritten(int sequence, IntUnaryOperator tokenAt, int written) {
    }

    /**
     * Turns prefix caching on or off; off forgets every remembered block. Call it while no sequence
     * holds a block. A cache that reuses nothing refuses to turn it on.
     */
    default void setPrefixCaching(boolean on) {
        if (on) {
            throw new UnsupportedOperationException(getClass().getSimpleName() + " does not cache prefixes");
        }
    }

    /**
     * Blocks in the pool of the layers that attend through a sliding window, where the cache keeps
     * them apart ({@link WindowedKvCache}); 0 where every layer's keys and values share one pool.
     */
    default int windowCapacityBlocks() {
        return 0;
    }

    /** Free blocks in the windowed layers' pool; 0 where there is none. */
    default int windowFreeBlocks() {
        return 0;
    }

    /** The physical slot of a reserved position in the windowed layers' pool (the shared one's where there is none). */
    default int windowSlot(int sequence, int position) {
        return slot(sequence, position);
    }

    /**
     * The sequence's block table in the windowed layers' pool (the shared one where there is none).
     * Entries of blocks no window reaches any more name blocks the sequence no longer holds; attention
     * never reads them.
     */
    default int[] windowBlockTable(int sequence) {
        return blockTable(sequence);
    }

    /**
     * Tells the cache that the sequence computes no position before {@code next} any more, so that
     * its windowed layers will never again attend to positions before {@code next - window + 1}: a
     * cache that keeps those layers apart lets their blocks go. Call it after {@link #blocksWritten}.
     */
    default void computesFrom(int sequence, int next) {
    }

    /**
     * Tells the cache that the sequence's recurrent state (Qwen3.5's delta-net blocks) stands for
     * exactly its first {@code positions}, a whole number of blocks already reported written: a
     * cache that keeps {@link StateCheckpoints} saves it there, so that a later sequence that starts
     * the same way may go on from it. Call it after {@link #blocksWritten}.
     */
    default void stateReached(int sequence, int positions) {
    }

    /**
     * As {@link #stateReached}, for a state the sequence reached while generating: saved where its
     * first {@code positions} end, in place of the one it saved where its first {@code previous}
     * ended (0: none), so that a sequence keeps one such state however long it generates. A chat's
     * next turn, which repeats the reply, then goes on from near the reply's end.
     */
    default void stateAdvanced(int sequence, int previous, int positions) {
    }

    /**
     * Positions at the start of the sequence's prompt that {@link #attachPrefix} found remembered
     * from an earlier prompt (whole blocks), whether or not it attached them all: a cache that
     * attaches a prefix only up to a saved recurrent state leaves the rest of a shared prefix (a
     * system prompt, say) to be computed, and a state saved where it ends serves the next prompt
     * that shares it. 0 where it found none, or caches no prefixes.
     */
    default int sharedPrefix(int sequence) {
        return 0;
    }
}
