package dev.switchyard.engine.kv;

import java.util.Arrays;

/**
 * Saved recurrent states for prefix reuse (Qwen3.5's delta-net blocks): a sequence whose state
 * stands for a prompt's first whole blocks has it saved under the KV block that ends there, and a
 * later sequence that takes those blocks from the prefix cache takes the state back with them, so
 * that it goes on from there instead of from position 0. A cached prefix without its state is of no
 * use to such a model: {@link WindowedKvCache} attaches only prefixes that end where a state is saved.
 *
 * <p>A fixed number of checkpoints, each the size of one sequence's state; a save takes the
 * checkpoint already under its key, else a free one, else the one used least recently. Keys are the
 * windowed cache's block identities (block and allocation), so a checkpoint whose block was written
 * over since is never found again and simply ages out. Not thread-safe: the scheduler's thread only,
 * but for the counts, which any thread may read.
 */
public final class StateCheckpoints {

    /** What copies states, by sequence slot and checkpoint number. */
    public interface Copier {
        /** Saves the state of {@code sequence} as checkpoint {@code checkpoint}. */
        void save(int sequence, int checkpoint);

        /** Gives {@code sequence} checkpoint {@code checkpoint}'s state, which stands for its first {@code positions}. */
        void restore(int checkpoint, int sequence, int positions);
    }

    /** No key. */
    static final long NONE = Long.MIN_VALUE;

    private final Copier copier;
    private final long[] keys;
    private final long[] lastUsed;
    private long clock;
    /** Written on the scheduler's thread only, read by metrics on others. */
    private volatile long saved;
    private volatile long restored;

    public StateCheckpoints(int capacity, Copier copier) {
        if (capacity < 1) {
            throw new IllegalArgumentException("state checkpoints need at least one, got " + capacity);
        }
        this.copier = copier;
        this.keys = new long[capacity];
        this.lastUsed = new long[capacity];
        Arrays.fill(keys, NONE);
    }

    public int capacity() {
        return keys.length;
    }

    /** Whether a state is saved under {@code key}. */
    boolean holds(long key) {
        return find(key) >= 0;
    }

    /** Saves {@code sequence}'s state under {@code key}. */
    void save(int sequence, long key) {
        replace(sequence, NONE, key);
    }

    /**
     * Saves {@code sequence}'s state under {@code key}, in the checkpoint held under {@code previous}
     * where there is one (NONE: none), so that a sequence that saves as it goes takes one checkpoint.
     */
    void replace(int sequence, long previous, long key) {
        int c = find(key);
        if (c < 0 && previous != NONE) {
            c = find(previous);
        }
        if (c < 0) {
            c = 0;
            for (int i = 1; i < keys.length && keys[c] != NONE; i++) {
                if (keys[i] == NONE || lastUsed[i] < lastUsed[c]) {
                    c = i;
                }
            }
        }
        copier.save(sequence, c);
        keys[c] = key;
        lastUsed[c] = ++clock;
        saved++;
    }

    /** Gives {@code sequence} the state saved under {@code key}, standing for its first {@code positions}. */
    void restore(int sequence, long key, int positions) {
        int c = find(key);
        if (c < 0) {
            throw new IllegalStateException("no state is saved under block " + (key >>> 32));
        }
        copier.restore(c, sequence, positions);
        lastUsed[c] = ++clock;
        restored++;
    }

    /** Forgets every saved state. */
    void clear() {
        Arrays.fill(keys, NONE);
    }

    /** States saved so far. */
    public long saved() {
        return saved;
    }

    /** States taken back so far. */
    public long restored() {
        return restored;
    }

    private int find(long key) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] == key) {
                return i;
            }
        }
        return -1;
    }
}
