package dev.switchyard.engine.kv;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.IntUnaryOperator;

/**
 * A pool of fixed-size KV blocks handed to sequences on demand (vLLM's paged attention layout):
 * memory is committed per block as sequences grow, never per maximum context.
 *
 * <p>With prefix caching on ({@link #setPrefixCaching}), a full block whose keys and values are
 * written is remembered by its content: the block before it in its sequence (as a physical block
 * and that block's allocation count) and its own tokens, compared exactly, never by a hash alone.
 * A new sequence whose tokens start the same way takes those blocks as they are
 * ({@link #attachPrefix}), shared and counted, and computes only what follows. Shared blocks are
 * full, and a sequence writes only past its last full block, so nobody ever writes a shared block.
 * A block no sequence holds stays remembered among the free blocks, the least recently freed taken
 * first when the pool runs out of never-remembered ones; taking it forgets it, and bumps its
 * allocation count, which orphans whatever was remembered after it.
 */
public final class PagedKvCache implements KvCache {

    /**
     * What a remembered block holds: its predecessor (physical block and its allocation count) and
     * its tokens; a first block, its sequence's salt instead (null: none).
     */
    private record Content(int previous, int previousAllocation, String salt, int[] tokens) {

        @Override
        public boolean equals(Object o) {
            return o instanceof Content c && c.previous == previous && c.previousAllocation == previousAllocation
                    && java.util.Objects.equals(c.salt, salt) && Arrays.equals(c.tokens, tokens);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * (31 * previous + previousAllocation) + java.util.Objects.hashCode(salt))
                    + Arrays.hashCode(tokens);
        }
    }

    private static final int NONE = -1;

    private final int blockSize;
    private final int capacity;
    /** Free blocks that remember nothing, as a stack. */
    private final int[] plainFree;
    private int plainCount;
    private int[][] tables;
    private int[] blocksUsed;

    // prefix caching
    private boolean prefixCaching;
    private final int[] holders;          // sequences holding each block
    private final int[] allocations;      // times each block was taken from the pool
    private final Content[] content;      // what each remembered block holds, else null
    private final Map<Content, Integer> remembered = new HashMap<>();
    /** Free remembered blocks, least recently freed first: an intrusive list over block numbers. */
    private final int[] older;
    private final int[] newer;
    private int oldest = NONE;
    private int newest = NONE;
    private int rememberedFree;
    /** Per sequence: its leading blocks already remembered or checked (full and written). */
    private int[] settled;
    /** Per sequence: the salt its first block is remembered under. */
    private final String[] salts;
    private long reusedBlocks;

    public PagedKvCache(int blocks, int blockSize, int maxSequences) {
        if (blocks < 1 || blockSize < 1 || maxSequences < 1) {
            throw new IllegalArgumentException("blocks, block size and sequences must be positive");
        }
        this.blockSize = blockSize;
        this.capacity = blocks;
        this.plainFree = new int[blocks];
        // Hand out low block numbers first: easier to read in tests and traces.
        for (int i = 0; i < blocks; i++) {
            plainFree[i] = blocks - 1 - i;
        }
        this.plainCount = blocks;
        this.tables = new int[maxSequences][];
        this.blocksUsed = new int[maxSequences];
        this.settled = new int[maxSequences];
        this.salts = new String[maxSequences];
        Arrays.setAll(tables, i -> new int[4]);
        this.holders = new int[blocks];
        this.allocations = new int[blocks];
        this.content = new Content[blocks];
        this.older = new int[blocks];
        this.newer = new int[blocks];
    }

    /**
     * Turns prefix caching on or off; off forgets every remembered block. Call it while no sequence
     * holds a block.
     */
    public void setPrefixCaching(boolean on) {
        for (int used : blocksUsed) {
            if (used > 0) {
                throw new IllegalStateException("prefix caching changes only while no sequence holds blocks");
            }
        }
        if (!on) {
            while (oldest != NONE) {
                int b = oldest;
                unlink(b);
                forget(b);
                plainFree[plainCount++] = b;
            }
        }
        prefixCaching = on;
    }

    @Override
    public boolean cachesPrefixes() {
        return prefixCaching;
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
        return plainCount + rememberedFree;
    }

    /** Blocks no sequence holds that still remember their content, ready to be attached again. */
    public int rememberedFreeBlocks() {
        return rememberedFree;
    }

    /** Blocks that {@link #attachPrefix} has handed out instead of their being computed again, in all. */
    public long reusedBlocks() {
        return reusedBlocks;
    }

    @Override
    public boolean reserve(int sequence, int positions) {
        checkSequence(sequence);
        int needed = (positions + blockSize - 1) / blockSize;
        int extra = needed - blocksUsed[sequence];
        if (extra <= 0) {
            return true;
        }
        if (extra > freeBlocks()) {
            return false;
        }
        ensureTable(sequence, needed);
        for (int b = blocksUsed[sequence]; b < needed; b++) {
            tables[sequence][b] = take();
        }
        blocksUsed[sequence] = needed;
        return true;
    }

    /**
     * Gives an empty sequence the remembered blocks that hold its first positions (up to
     * {@code positions}, whole blocks only) under {@code salt}, {@code tokenAt} naming its tokens;
     * returns how many positions they cover (0 with prefix caching off).
     */
    @Override
    public int attachPrefix(int sequence, IntUnaryOperator tokenAt, int positions, String salt) {
        checkSequence(sequence);
        if (blocksUsed[sequence] != 0) {
            throw new IllegalStateException("sequence " + sequence + " already holds blocks");
        }
        salts[sequence] = salt;
        if (!prefixCaching) {
            return 0;
        }
        int full = positions / blockSize;
        int previous = NONE;
        int attached = 0;
        while (attached < full) {
            Integer block = remembered.get(contentOf(previous, salt, tokenAt, attached));
            if (block == null) {
                break;
            }
            int b = block;
            if (holders[b] == 0) {
                unlink(b);
            }
            holders[b]++;
            ensureTable(sequence, attached + 1);
            tables[sequence][attached++] = b;
            previous = b;
        }
        blocksUsed[sequence] = attached;
        settled[sequence] = attached;
        reusedBlocks += attached;
        return attached * blockSize;
    }

    /**
     * Remembers the sequence's full blocks among its first {@code written} positions (whose keys and
     * values are in the cache), {@code tokenAt} naming its tokens. A block whose content another
     * block already holds stays unremembered. Cheap when no new block filled.
     */
    @Override
    public void blocksWritten(int sequence, IntUnaryOperator tokenAt, int written) {
        if (!prefixCaching) {
            return;
        }
        checkSequence(sequence);
        int full = Math.min(written / blockSize, blocksUsed[sequence]);
        for (int i = settled[sequence]; i < full; i++) {
            int b = tables[sequence][i];
            if (content[b] == null) {
                Content c = contentOf(i == 0 ? NONE : tables[sequence][i - 1], salts[sequence], tokenAt, i);
                if (!remembered.containsKey(c)) {
                    remembered.put(c, b);
                    content[b] = c;
                }
            }
        }
        settled[sequence] = Math.max(settled[sequence], full);
    }

    private Content contentOf(int previous, String salt, IntUnaryOperator tokenAt, int block) {
        int[] tokens = new int[blockSize];
        for (int j = 0; j < blockSize; j++) {
            tokens[j] = tokenAt.applyAsInt(block * blockSize + j);
        }
        return previous == NONE ? new Content(NONE, 0, salt, tokens)
                : new Content(previous, allocations[previous], null, tokens);
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
        // the last blocks first, so that a chain's first block is freed last and taken last
        for (int i = blocksUsed[sequence] - 1; i >= 0; i--) {
            int b = tables[sequence][i];
            if (--holders[b] > 0) {
                continue;
            }
            if (content[b] != null) {
                link(b);
            } else {
                plainFree[plainCount++] = b;
            }
        }
        blocksUsed[sequence] = 0;
        settled[sequence] = 0;
        salts[sequence] = null;
    }

    /** A free block: one that remembers nothing if any, else the least recently freed remembered one. */
    private int take() {
        int b;
        if (plainCount > 0) {
            b = plainFree[--plainCount];
        } else {
            b = oldest;
            unlink(b);
            forget(b);
        }
        holders[b] = 1;
        allocations[b]++;
        return b;
    }

    private void forget(int b) {
        remembered.remove(content[b]);
        content[b] = null;
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

    private void ensureTable(int sequence, int blocks) {
        if (tables[sequence].length < blocks) {
            tables[sequence] = Arrays.copyOf(tables[sequence], Math.max(blocks, 2 * tables[sequence].length));
        }
    }

    private void checkSequence(int sequence) {
        if (sequence < 0 || sequence >= tables.length) {
            throw new IllegalArgumentException("sequence " + sequence + " is outside 0.." + (tables.length - 1));
        }
    }
}
