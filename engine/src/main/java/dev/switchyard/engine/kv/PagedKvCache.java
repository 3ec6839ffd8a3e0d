package dev.switchyard.engine.kv;

import java.util.Arrays;
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
    private record Content(int previous, int previousAllocation, Object salt, int[] tokens) {

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

    private static final int NONE = BlockPool.NONE;

    private final int blockSize;
    private final BlockPool<Content> pool;
    private int[][] tables;
    /**
     * Per sequence: for each remembered logical block, the identity ({@link #identity}) of the block
     * its content is remembered under: its own, or an earlier sequence's where that one wrote the
     * same prefix first.
     */
    private long[][] rememberedAs;
    private int[] blocksUsed;
    private boolean prefixCaching;
    /** Per sequence: its leading blocks already remembered or checked (full and written). */
    private int[] settled;
    /** Per sequence: the salt its first block is remembered under. */
    private final Object[] salts;
    private long reusedBlocks;

    public PagedKvCache(int blocks, int blockSize, int maxSequences) {
        if (blocks < 1 || blockSize < 1 || maxSequences < 1) {
            throw new IllegalArgumentException("blocks, block size and sequences must be positive");
        }
        this.blockSize = blockSize;
        this.pool = new BlockPool<>(blocks);
        this.tables = new int[maxSequences][];
        this.blocksUsed = new int[maxSequences];
        this.settled = new int[maxSequences];
        this.salts = new Object[maxSequences];
        Arrays.setAll(tables, i -> new int[4]);
        this.rememberedAs = new long[maxSequences][];
        Arrays.setAll(rememberedAs, i -> new long[4]);
    }

    /**
     * Turns prefix caching on or off; off forgets every remembered block. Call it while no sequence
     * holds a block.
     */
    @Override
    public void setPrefixCaching(boolean on) {
        for (int used : blocksUsed) {
            if (used > 0) {
                throw new IllegalStateException("prefix caching changes only while no sequence holds blocks");
            }
        }
        if (!on) {
            pool.forgetFree();
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
        return pool.capacity();
    }

    @Override
    public int freeBlocks() {
        return pool.free();
    }

    /** Blocks no sequence holds that still remember their content, ready to be attached again. */
    public int rememberedFreeBlocks() {
        return pool.rememberedFree();
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
            tables[sequence][b] = pool.take();
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
    public int attachPrefix(int sequence, IntUnaryOperator tokenAt, int positions, Object salt) {
        int[] chain = new int[prefixCaching ? positions / blockSize : 0];
        int found = rememberedPrefix(tokenAt, positions, salt, chain);
        return attach(sequence, chain, found, salt);
    }

    /**
     * Finds, without taking them, the remembered blocks that hold a sequence's first positions (up
     * to {@code positions}, whole blocks), in order into {@code chain}; returns how many.
     */
    int rememberedPrefix(IntUnaryOperator tokenAt, int positions, Object salt, int[] chain) {
        if (!prefixCaching) {
            return 0;
        }
        int full = Math.min(positions / blockSize, chain.length);
        int previous = NONE;
        int found = 0;
        while (found < full) {
            int b = pool.find(contentOf(previous, salt, tokenAt, found));
            if (b == NONE) {
                break;
            }
            chain[found++] = b;
            previous = b;
        }
        return found;
    }

    /**
     * Gives an empty sequence the first {@code count} blocks of a chain {@link #rememberedPrefix}
     * found; returns the positions they cover. The blocks it writes are remembered under {@code salt}.
     */
    int attach(int sequence, int[] chain, int count, Object salt) {
        checkSequence(sequence);
        if (blocksUsed[sequence] != 0) {
            throw new IllegalStateException("sequence " + sequence + " already holds blocks");
        }
        salts[sequence] = salt;
        ensureTable(sequence, count);
        for (int i = 0; i < count; i++) {
            pool.hold(chain[i]);
            tables[sequence][i] = chain[i];
            rememberedAs[sequence][i] = identity(chain[i], pool.allocation(chain[i]));
        }
        blocksUsed[sequence] = count;
        settled[sequence] = count;
        reusedBlocks += count;
        return count * blockSize;
    }

    /** Times block {@code b} was taken from the pool: with its number, it names one use of the block. */
    int allocationOf(int b) {
        return pool.allocation(b);
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
            // each block is remembered after the block its prefix is found under, so that a prefix
            // written again by a sequence that did not take it from the cache is found as one chain
            int previous = i == 0 ? NONE : previousOf(sequence, i);
            Content content = contentOf(previous, salts[sequence], tokenAt, i);
            pool.remember(tables[sequence][i], content);
            int found = pool.find(content);
            rememberedAs[sequence][i] = identity(found, pool.allocation(found));
        }
        settled[sequence] = Math.max(settled[sequence], full);
    }

    private Content contentOf(int previous, Object salt, IntUnaryOperator tokenAt, int block) {
        int[] tokens = new int[blockSize];
        for (int j = 0; j < blockSize; j++) {
            tokens[j] = tokenAt.applyAsInt(block * blockSize + j);
        }
        return previous == NONE ? new Content(NONE, 0, salt, tokens)
                : new Content(previous, pool.allocation(previous), null, tokens);
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
            pool.release(tables[sequence][i]);
        }
        blocksUsed[sequence] = 0;
        settled[sequence] = 0;
        salts[sequence] = null;
    }

    private void ensureTable(int sequence, int blocks) {
        if (tables[sequence].length < blocks) {
            tables[sequence] = Arrays.copyOf(tables[sequence], Math.max(blocks, 2 * tables[sequence].length));
            rememberedAs[sequence] = Arrays.copyOf(rememberedAs[sequence], tables[sequence].length);
        }
    }

    /**
     * The identity of the block under which the prefix ending with the sequence's logical block
     * {@code index}, reported written, is remembered: its own, or the one that a sequence starting
     * the same way finds ({@link #rememberedPrefix}) where an earlier sequence wrote that prefix
     * first. A block taken for other content since has another identity.
     */
    long rememberedIdentity(int sequence, int index) {
        checkSequence(sequence);
        if (index < 0 || index >= settled[sequence]) {
            throw new IllegalArgumentException("block " + index + " of sequence " + sequence + " is not remembered");
        }
        return rememberedAs[sequence][index];
    }

    /**
     * The block that logical block {@code i - 1}'s prefix is remembered under, if that is still the
     * same use of it, else the sequence's own block there, which it holds: a block taken for other
     * content since must not link a chain, or a later prefix would find blocks computed after another.
     */
    private int previousOf(int sequence, int i) {
        long remembered = rememberedAs[sequence][i - 1];
        int block = (int) (remembered >>> 32);
        return identity(block, pool.allocation(block)) == remembered ? block : tables[sequence][i - 1];
    }

    /** A block as one use of it: its number and its allocation count, which each take bumps. */
    static long identity(int block, int allocation) {
        return ((long) block << 32) | (allocation & 0xffffffffL);
    }

    private void checkSequence(int sequence) {
        if (sequence < 0 || sequence >= tables.length) {
            throw new IllegalArgumentException("sequence " + sequence + " is outside 0.." + (tables.length - 1));
        }
    }
}
