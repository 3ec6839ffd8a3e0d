package dev.switchyard.engine.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;

/** Blocks handed out, shared through the prefix cache, remembered when free and forgotten when taken. */
class PagedKvCacheTest {

    private static final int BLOCK = 4;

    private static IntUnaryOperator tokens(int... ids) {
        return p -> ids[p];
    }

    private static PagedKvCache caching(int blocks, int sequences) {
        PagedKvCache kv = new PagedKvCache(blocks, BLOCK, sequences);
        kv.setPrefixCaching(true);
        return kv;
    }

    /** Writes {@code ids} as sequence {@code seq} would: reserve all, then report them written. */
    private static void write(PagedKvCache kv, int seq, int... ids) {
        assertThat(kv.reserve(seq, ids.length)).isTrue();
        kv.blocksWritten(seq, tokens(ids), ids.length);
    }

    @Test
    void withoutPrefixCachingNothingIsReused() {
        PagedKvCache kv = new PagedKvCache(8, BLOCK, 2);
        write(kv, 0, 1, 2, 3, 4, 5, 6, 7, 8);
        kv.release(0);
        assertThat(kv.attachPrefix(1, tokens(1, 2, 3, 4, 5, 6, 7, 8, 9), 8, null)).isZero();
        assertThat(kv.freeBlocks()).isEqualTo(8);
    }

    @Test
    void aSequenceStartingTheSameWayTakesTheWrittenFullBlocksShared() {
        PagedKvCache kv = caching(8, 2);
        write(kv, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        int[] first = kv.blockTable(0).clone();
        // the same first eight tokens, then others: two full blocks shared, the rest its own
        int[] other = {1, 2, 3, 4, 5, 6, 7, 8, 42, 43, 44};
        assertThat(kv.attachPrefix(1, tokens(other), other.length - 1, null)).isEqualTo(8);
        assertThat(kv.blockTable(1)[0]).isEqualTo(first[0]);
        assertThat(kv.blockTable(1)[1]).isEqualTo(first[1]);
        assertThat(kv.reserve(1, other.length)).isTrue();
        assertThat(kv.blockTable(1)[2]).as("the partial third block is never shared").isNotEqualTo(first[2]);
        assertThat(kv.freeBlocks()).isEqualTo(8 - 3 - 1);
        assertThat(kv.reusedBlocks()).isEqualTo(2);
    }

    @Test
    void onlyWholeBlocksUpToTheLimitAreAttached() {
        PagedKvCache kv = caching(8, 2);
        write(kv, 0, 1, 2, 3, 4, 5, 6, 7, 8);
        kv.release(0);
        // the same eight tokens: the caller keeps the last one to compute, so only the first block comes back
        assertThat(kv.attachPrefix(1, tokens(1, 2, 3, 4, 5, 6, 7, 8), 7, null)).isEqualTo(4);
    }

    @Test
    void aDifferentTokenAnywhereInABlockStopsTheMatchThere() {
        PagedKvCache kv = caching(8, 2);
        write(kv, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        kv.release(0);
        assertThat(kv.attachPrefix(1, tokens(1, 2, 3, 4, 5, 6, 0, 8, 9), 8, null)).isEqualTo(4);
        kv.release(1);
        assertThat(kv.attachPrefix(1, tokens(0, 2, 3, 4, 5, 6, 7, 8, 9), 8, null)).isZero();
    }

    @Test
    void aBlockIsMatchedOnlyAfterTheSameBlocks() {
        PagedKvCache kv = caching(8, 2);
        write(kv, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        kv.release(0);
        // the second block's tokens after another first block: not the same keys, never matched
        assertThat(kv.attachPrefix(1, tokens(9, 9, 9, 9, 5, 6, 7, 8, 9), 8, null)).isZero();
    }

    @Test
    void freedBlocksStayRememberedUntilThePoolNeedsThemOldestFirst() {
        PagedKvCache kv = caching(4, 3);
        write(kv, 0, 1, 2, 3, 4, 5);    // blocks: [1 2 3 4] remembered, [5] not
        kv.release(0);
        assertThat(kv.freeBlocks()).isEqualTo(4);
        assertThat(kv.rememberedFreeBlocks()).isEqualTo(1);
        write(kv, 1, 7, 7, 7, 7, 8);    // takes never-remembered blocks first
        kv.release(1);
        assertThat(kv.rememberedFreeBlocks()).isEqualTo(2);
        assertThat(kv.attachPrefix(2, tokens(1, 2, 3, 4, 0), 4, null)).as("still there").isEqualTo(4);
        kv.release(2); // used again: now the most recently freed
        // three blocks: the two plain ones, then the least recently freed remembered one, [7 7 7 7]
        assertThat(kv.reserve(0, 12)).isTrue();
        kv.release(0);
        assertThat(kv.attachPrefix(1, tokens(7, 7, 7, 7, 0), 4, null)).as("taken by the pool: forgotten").isZero();
        assertThat(kv.attachPrefix(2, tokens(1, 2, 3, 4, 0), 4, null)).as("the recently used one survived").isEqualTo(4);
    }

    @Test
    void aBlockHeldBySeveralSequencesIsFreedWhenTheLastLetsGo() {
        PagedKvCache kv = caching(4, 3);
        write(kv, 0, 1, 2, 3, 4, 5);
        assertThat(kv.attachPrefix(1, tokens(1, 2, 3, 4, 5), 4, null)).isEqualTo(4);
        assertThat(kv.attachPrefix(2, tokens(1, 2, 3, 4, 6), 4, null)).isEqualTo(4);
        int shared = kv.blockTable(0)[0];
        kv.release(0);
        kv.release(1);
        assertThat(kv.freeBlocks()).as("sequence 2 still holds the shared block").isEqualTo(3);
        assertThat(kv.reserve(1, 12)).isTrue();
        assertThat(new int[] {kv.blockTable(1)[0], kv.blockTable(1)[1], kv.blockTable(1)[2]}).doesNotContain(shared);
        kv.release(2);
        assertThat(kv.freeBlocks()).isEqualTo(1);
    }

    @Test
    void aBlockTakenAgainOrphansWhatWasRememberedAfterIt() {
        PagedKvCache kv = caching(3, 2);
        write(kv, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9); // three blocks, two remembered
        kv.release(0);
        // the first block is the last freed (newest); take two blocks: a plain one and the oldest, the second
        assertThat(kv.reserve(0, 8)).isTrue();
        kv.blocksWritten(0, tokens(9, 9, 9, 9, 8, 8, 8, 8), 8);
        kv.release(0);
        // [1 2 3 4] survived, but its successor [5 6 7 8] was taken and now holds other tokens
        assertThat(kv.attachPrefix(1, tokens(1, 2, 3, 4, 5, 6, 7, 8, 9), 8, null)).isEqualTo(4);
    }

    @Test
    void twoSequencesWritingTheSameBlockKeepOneRemembered() {
        PagedKvCache kv = caching(4, 2);
        write(kv, 0, 1, 2, 3, 4);
        write(kv, 1, 1, 2, 3, 4);
        kv.release(0);
        kv.release(1);
        assertThat(kv.rememberedFreeBlocks()).isEqualTo(1);
        assertThat(kv.freeBlocks()).isEqualTo(4);
    }

    @Test
    void onlySequencesWithTheSameSaltShareBlocks() {
        PagedKvCache kv = caching(8, 2);
        assertThat(kv.attachPrefix(0, tokens(1, 2, 3, 4, 5, 6, 7, 8, 9), 8, "tenant-a")).isZero();
        write(kv, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        kv.release(0);
        assertThat(kv.attachPrefix(1, tokens(1, 2, 3, 4, 5, 6, 7, 8, 9), 8, "tenant-b")).as("another salt").isZero();
        kv.release(1);
        assertThat(kv.attachPrefix(1, tokens(1, 2, 3, 4, 5, 6, 7, 8, 9), 8, null)).as("no salt").isZero();
        kv.release(1);
        assertThat(kv.attachPrefix(1, tokens(1, 2, 3, 4, 5, 6, 7, 8, 9), 8, "tenant-a")).as("the same salt").isEqualTo(8);
    }

    @Test
    void attachingNeedsAnEmptySequenceAndSwitchingNeedsAnIdleCache() {
        PagedKvCache kv = caching(4, 2);
        write(kv, 0, 1, 2, 3, 4);
        assertThatThrownBy(() -> kv.attachPrefix(0, tokens(1, 2, 3, 4, 5), 4, null)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> kv.setPrefixCaching(false)).isInstanceOf(IllegalStateException.class);
        kv.release(0);
        kv.setPrefixCaching(false);
        assertThat(kv.rememberedFreeBlocks()).isZero();
        assertThat(kv.freeBlocks()).isEqualTo(4);
    }

    @Test
    void aPrefixWrittenAgainWithoutTheCacheStillLeadsToWhatFollowsIt() {
        PagedKvCache kv = caching(16, 3);
        int[] ids = new int[16];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 50 + i;
        }
        write(kv, 0, java.util.Arrays.copyOf(ids, 12));
        long third = kv.rememberedIdentity(0, 2);
        kv.release(0);
        // the same three blocks written again, not taken from the cache, then a fourth after them
        write(kv, 1, ids);
        assertThat(kv.rememberedIdentity(1, 2)).as("found under the first writer's block").isEqualTo(third);
        kv.release(1);
        assertThat(kv.attachPrefix(2, tokens(ids), 16, null)).as("the fourth block follows the first writer's three")
                .isEqualTo(16);
    }
}
