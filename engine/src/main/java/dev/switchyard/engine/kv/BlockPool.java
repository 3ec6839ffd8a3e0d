package dev.switchyard.engine.kv;

import java.util.HashMap;
import java.util.Map;

/**
 * Numbered KV blocks, each free or held by some sequences, with what a free block may still
 * remember: a block whose keys and values can serve a later sequence is remembered under a key
 * (its content, as the cache that owns the pool describes it), and stays remembered after its last
 * holder lets go, until the pool needs it. Free blocks that remember nothing are taken first; then
 * the least recently freed remembered one, which forgets its key. Each take bumps the block's
 * allocation count, so that a key naming a block by number and count never matches a later use.
 *
 * @param <K> what a remembered block is found by
 */
final class BlockPool<K> {

    static final int NONE = -1;

    private final int capacity;
    /** Free blocks that remember nothing, as a stack. */
    private final int[] plainFree;
    private int plainCount;
    private final int[] holders;
    private final int[] allocations;
    private final Object[] keys;
    private final Map<K, Integer> remembered = new HashMap<>();
    /** Free remembered blocks, least recently freed first: an intrusive list over block numbers. */
    private final int[] older;
    private final int[] newer;
    private int oldest = NONE;
    private int newest = NONE;
    private int rememberedFree;

    BlockPool(int blocks) {
        this.capacity = blocks;
        this.plainFree = new int[blocks];
        // Hand out low block numbers first: easier to read in tests and traces.
        for (int i = 0; i < blocks; i++) {
            plainFree[i] = blocks - 1 - i;
        }
        this.plainCount = blocks;
        this.holders = new int[blocks];
        this.allocations = new int[blocks];
        this.keys = new Object[blocks];
        this.older = new int[blocks];
        this.newer = new int[blocks];
    }

    int capacity() {
        return capacity;
    }

    int free() {
        return plainCount + rememberedFree;
    }

    int rememberedFree() {
        return rememberedFree;
    }

    /** Times block {@code b} was taken from the pool. */
    int allocation(int b) {
        return allocations[b];
    }

    /** A free block for one holder: one that remembers nothing if any, else the least recently freed. */
    int take() {
        int b;
        if (plainCount > 0) {
            b = plainFree[--plainCount];
        } else if (oldest != NONE) {
            b = oldest;
            unlink(b);
            forget(b);
        } else {
            throw new IllegalStateException("no free KV block");
        }
        holders[b] = 1;
        allocations[b]++;
        return b;
    }

    /** One more holder of a remembered block (free or held). */
    void hold(int b) {
        if (holders[b] == 0) {
            unlink(b);
        }
        holders[b]++;
    }

    /** One holder lets go; the last one's block goes back free, still remembered if it was. */
    void release(int b) {
        if (--holders[b] > 0) {
            return;
        }
        if (keys[b] != null) {
            link(b);
        } else {
            plainFree[plainCount++] = b;
        }
    }

    /** The block remembered under {@code key}, or {@link #NONE}. */
    int find(K key) {
        Integer b = remembered.get(key);
        return b == null ? NONE : b;
    }

    /**
     * Remembers a held block under {@code key}, unless it already remembers something or another
     * block holds that content.
     */
    void remember(int b, K key) {
        if (keys[b] == null && !remembered.containsKey(key)) {
            remembered.put(key, b);
            keys[b] = key;
        }
    }

    /** Forgets every free remembered block, which then counts as plain free. */
    void forgetFree() {
        while (oldest != NONE) {
            int b = oldest;
            unlink(b);
            forget(b);
            plainFree[plainCount++] = b;
        }
    }

    private void forget(int b) {
        remembered.remove(keys[b]);
        keys[b] = null;
    }

    /** Appends a free remembered block as the newest. */
    private void link(int b) {
        older[b] = newest;
        newer[b] = NONE;
        if (newest != NONE) {
            newer[newest] = b;
        } else {
            oldest = b;
        }
        newest = b;
        rememberedFree++;
    }

    /** Takes a free remembered block out of the list. */
    private void unlink(int b) {
        if (older[b] != NONE) {
            newer[older[b]] = newer[b];
        } else {
            oldest = newer[b];
        }
        if (newer[b] != NONE) {
            older[newer[b]] = older[b];
        } else {
            newest = older[b];
        }
        rememberedFree--;
    }
}
