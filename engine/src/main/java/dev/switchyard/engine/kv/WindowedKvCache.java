package dev.switchyard.engine.kv;

import java.util.Arrays;
import java.util.function.IntUnaryOperator;

/**
 * A KV cache for models whose layers are of two kinds (gpt-oss): layers that attend to every
 * earlier position keep their keys and values in a {@link PagedKvCache} that grows with each
 * sequence, and layers that attend through a sliding window of {@code window} positions keep
 * theirs in a pool of their own, where a sequence holds only the blocks its window still reaches.
 * A long sequence then costs the windowed layers a window's worth of blocks, not its whole length
 * (llama.cpp's separate sliding-window cache, vLLM's sliding-window block manager).
 *
 * <p>A sequence's windowed blocks are numbered as its positions are (logical block {@code i}
 * holds positions {@code i * blockSize ..}); it holds logical blocks {@code first .. used-1}, and
 * lets go of those before the block of {@code next - window + 1} once it computes from
 * {@code next} on ({@link #computesFrom}). Table entries below {@code first} are left as they
 * were (or 0): they are valid block numbers, and attention never reads a position before a
 * token's window.
 *
 * <p>With prefix caching on, a written windowed block is remembered under the block of the
 * full-attention pool at the same logical position, by that block's number and allocation count:
 * that block stands for every token up to its end, so the two hold keys and values of the same
 * prefix. A sequence starting the same way takes the full pool's remembered blocks and the windowed
 * blocks its first computed position's window reaches; where one of those was taken by another
 * sequence since, the prefix it takes ends before that block.
 *
 * <p>The windowed pool needs at most {@link #blocksFor} blocks when the caller reports each
 * running sequence's progress after every step, so reserving in it fails only if a caller forgets to.
 */
public final class WindowedKvCache implements KvCache {

    private final PagedKvCache full;
    private final BlockPool<Long> pool;
    private final int blockSize;
    private final int window;
    private int[][] tables;
    private final int[] first;
    private final int[] used;
    /** Per sequence: its logical windowed blocks up to this one are remembered or checked. */
    private final int[] settled;
    /** Per sequence: the positions {@link #attachPrefix} found remembered ({@link #sharedPrefix}). */
    private final int[] shared;
    /** Saved recurrent states, where the model carries them (null: none): a prefix is attached only where one ends. */
    private StateCheckpoints states;

    /**
     * @param blocks       blocks of the full-attention layers' pool
     * @param windowBlocks blocks of the windowed layers' pool ({@link #blocksFor})
     * @param window       the widest sliding window among the layers, in positions
     */
    public WindowedKvCache(int blocks, int windowBlocks, int blockSize, int maxSequences, int window) {
        if (windowBlocks < 1 || window < 1) {
            throw new IllegalArgumentException("a windowed pool needs blocks and a window, got " + windowBlocks
                    + " blocks for a window of " + window);
        }
        this.full = new PagedKvCache(blocks, blockSize, maxSequences);
        this.pool = new BlockPool<>(windowBlocks);
        this.blockSize = blockSize;
        this.window = window;
        this.tables = new int[maxSequences][];
        Arrays.setAll(tables, i -> new int[4]);
        this.first = new int[maxSequences];
        this.used = new int[maxSequences];
        this.settled = new int[maxSequences];
        this.shared = new int[maxSequences];
    }

    /**
     * Windowed blocks enough for {@code maxSequences} sequences whose steps hold at most
     * {@code maxStepTokens} tokens in all: after a step, a sequence about to compute position
     * {@code p} holds the blocks of positions {@code p - window + 1 .. p - 1}, at most
     * {@code ceil((window - 1) / blockSize) + 2}; a step of {@code n} of its tokens takes at most
     * {@code ceil(n / blockSize)} more.
     */
    public static int blocksFor(int window, int blockSize, int maxSequences, int maxStepTokens) {
        long perSequence = ceilDiv(window - 1, blockSize) + 3L;
        return Math.toIntExact(maxSequences * perSequence + ceilDiv(maxStepTokens, blockSize));
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** The first logical block the window of a token at {@code position} reaches. */
    private int firstBlockFor(int position) {
        return Math.max(0, position - window + 1) / blockSize;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public int capacityBlocks() {
        return full.capacityBlocks();
    }

    @Override
    public int freeBlocks() {
        return full.freeBlocks();
    }

    @Override
    public int windowCapacityBlocks() {
        return pool.capacity();
    }

    @Override
    public int windowFreeBlocks() {
        return pool.free();
    }

    /** The windowed blocks the sequence holds now. */
    public int windowBlocksHeld(int sequence) {
        checkSequence(sequence);
        return used[sequence] - first[sequence];
    }

    @Override
    public boolean reserve(int sequence, int positions) {
        checkSequence(sequence);
        int needed = ceilDiv(positions, blockSize);
        int extra = needed - used[sequence];
        if (extra > 0 && extra > pool.free()) {
            return false;
        }
        if (!full.reserve(sequence, positions)) {
            return false;
        }
        if (extra > 0) {
            ensureTable(sequence, needed);
            for (int b = used[sequence]; b < needed; b++) {
                tables[sequence][b] = pool.take();
            }
            used[sequence] = needed;
        }
        return true;
    }

    @Override
    public int reservedPositions(int sequence) {
        return full.reservedPositions(sequence);
    }

    @Override
    public int slot(int sequence, int position) {
        return full.slot(sequence, position);
    }

    @Override
    public int[] blockTable(int sequence) {
        return full.blockTable(sequence);
    }

    @Override
    public int windowSlot(int sequence, int position) {
        checkSequence(sequence);
        int block = position / blockSize;
        if (position < 0 || block < first[sequence] || block >= used[sequence]) {
            throw new IllegalArgumentException("position " + position + " of sequence " + sequence
                    + " is not held in the windowed pool");
        }
        return tables[sequence][block] * blockSize + position % blockSize;
    }

    @Override
    public int[] windowBlockTable(int sequence) {
        checkSequence(sequence);
        return tables[sequence];
    }

    @Override
    public void computesFrom(int sequence, int next) {
        checkSequence(sequence);
        int keep = Math.min(firstBlockFor(next), used[sequence]);
        for (int b = first[sequence]; b < keep; b++) {
            pool.release(tables[sequence][b]);
        }
        first[sequence] = Math.max(first[sequence], keep);
    }

    @Override
    public void release(int sequence) {
        checkSequence(sequence);
        full.release(sequence);
        for (int b = used[sequence] - 1; b >= first[sequence]; b--) {
            pool.release(tables[sequence][b]);
        }
        first[sequence] = 0;
        used[sequence] = 0;
        settled[sequence] = 0;
        shared[sequence] = 0;
    }

    @Override
    public void setPrefixCaching(boolean on) {
        full.setPrefixCaching(on);
        if (!on) {
            pool.forgetFree();
            if (states != null) {
                states.clear();
            }
        }
    }

    @Override
    public boolean cachesPrefixes() {
        return full.cachesPrefixes();
    }

    /** Blocks of the full-attention pool that attaching prefixes handed out instead of their being computed again. */
    public long reusedBlocks() {
        return full.reusedBlocks();
    }

    @Override
    public int attachPrefix(int sequence, IntUnaryOperator tokenAt, int positions, Object salt) {
        checkSequence(sequence);
        if (used[sequence] != 0) {
            throw new IllegalStateException("sequence " + sequence + " already holds blocks");
        }
        int[] chain = new int[cachesPrefixes() ? positions / blockSize : 0];
        int count = full.rememberedPrefix(tokenAt, positions, salt, chain);
        shared[sequence] = count * blockSize;
        // the next position's window must find its blocks remembered too (cut before a missing one),
        // and where the model carries a recurrent state, a state must be saved where the prefix ends
        while (count > 0) {
            int missing = missingWindowBlock(chain, count);
            if (missing >= 0) {
                count = missing;
            } else if (states != null && !states.holds(keyOf(chain[count - 1]))) {
                count--;
            } else {
                break;
            }
        }
        int attached = full.attach(sequence, chain, count, salt);
        if (states != null && count > 0) {
            states.restore(sequence, keyOf(chain[count - 1]), count * blockSize);
        }
        int from = firstBlockFor(count * blockSize);
        ensureTable(sequence, count);
        Arrays.fill(tables[sequence], 0, from, 0);
        for (int b = from; b < count; b++) {
            int w = pool.find(keyOf(chain[b]));
            pool.hold(w);
            tables[sequence][b] = w;
        }
        first[sequence] = from;
        used[sequence] = count;
        settled[sequence] = count;
        return attached;
    }

    /**
     * The last logical block among those the window of position {@code count * blockSize} reaches
     * whose windowed block is not remembered, or -1 when all are.
     */
    private int missingWindowBlock(int[] chain, int count) {
        for (int b = count - 1; b >= firstBlockFor(count * blockSize); b--) {
            if (pool.find(keyOf(chain[b])) == BlockPool.NONE) {
                return b;
            }
        }
        return -1;
    }

    /** What a windowed block is remembered under: the full pool's block at its position, as one use of it. */
    private Long keyOf(int fullBlock) {
        return PagedKvCache.identity(fullBlock, full.allocationOf(fullBlock));
    }

    /**
     * Keeps recurrent states in {@code checkpoints}, saved where {@link #stateReached} says and
     * taken back with the prefixes that end there; only such prefixes are attached from now on.
     */
    public void keepStates(StateCheckpoints checkpoints) {
        this.states = checkpoints;
    }

    @Override
    public void stateReached(int sequence, int positions) {
        checkSequence(sequence);
        if (states == null || !cachesPrefixes() || positions <= 0 || positions % blockSize != 0) {
            return;
        }
        // under the block a sequence starting the same way will find, which an earlier one may have written
        states.save(sequence, full.rememberedIdentity(sequence, positions / blockSize - 1));
    }

    @Override
    public void stateAdvanced(int sequence, int previous, int positions) {
        checkSequence(sequence);
        if (states == null || !cachesPrefixes() || positions <= 0 || positions % blockSize != 0) {
            return;
        }
        long replaced = previous > 0 && previous % blockSize == 0 && previous < positions
                ? full.rememberedIdentity(sequence, previous / blockSize - 1) : StateCheckpoints.NONE;
        states.replace(sequence, replaced, full.rememberedIdentity(sequence, positions / blockSize - 1));
    }

    @Override
    public int sharedPrefix(int sequence) {
        checkSequence(sequence);
        return shared[sequence];
    }

    @Override
    public void blocksWritten(int sequence, IntUnaryOperator tokenAt, int written) {
        if (!cachesPrefixes()) {
            return;
        }
        full.blocksWritten(sequence, tokenAt, written);
        int done = Math.min(written / blockSize, used[sequence]);
        // under the full block a sequence starting the same way finds at that position
        for (int b = Math.max(settled[sequence], first[sequence]); b < done; b++) {
            pool.remember(tables[sequence][b], full.rememberedIdentity(sequence, b));
        }
        settled[sequence] = Math.max(settled[sequence], done);
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
