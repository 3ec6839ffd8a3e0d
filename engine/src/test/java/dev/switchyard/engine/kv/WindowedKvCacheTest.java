package dev.switchyard.engine.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The windowed layers' blocks: held only while a window reaches them, enough for any steps within
 * the step's token limit, and remembered with the prefix they belong to.
 */
class WindowedKvCacheTest {

    private static final int BLOCK = 4;
    private static final int WINDOW = 6;

    private static IntUnaryOperator tokens(int... ids) {
        return p -> ids[p];
    }

    private static int[] range(int from, int count) {
        int[] ids = new int[count];
        for (int i = 0; i < count; i++) {
            ids[i] = from + i;
        }
        return ids;
    }

    /** Feeds {@code ids} one position a step from {@code from} on, as the batcher does. */
    private static void decode(WindowedKvCache kv, int seq, int[] ids, int from) {
        for (int p = from; p < ids.length; p++) {
            assertThat(kv.reserve(seq, p + 1)).as("position %d", p).isTrue();
            kv.blocksWritten(seq, tokens(ids), p + 1);
            kv.computesFrom(seq, p + 1);
        }
    }

    @Test
    void aSequenceHoldsOnlyTheBlocksItsWindowReaches() {
        WindowedKvCache kv = new WindowedKvCache(32, WindowedKvCache.blocksFor(WINDOW, BLOCK, 1, 1), BLOCK, 1, WINDOW);
        Map<Integer, Integer> slotOf = new HashMap<>();
        for (int p = 0; p < 40; p++) {
            kv.computesFrom(0, p);
            assertThat(kv.reserve(0, p + 1)).isTrue();
            slotOf.put(p, kv.windowSlot(0, p));
            // every position the window of p reaches keeps the slot it was written to
            for (int q = Math.max(0, p - WINDOW + 1); q <= p; q++) {
                assertThat(kv.windowSlot(0, q)).as("position %d at %d", q, p).isEqualTo(slotOf.get(q));
            }
            assertThat(kv.windowBlocksHeld(0)).as("at %d", p).isLessThanOrEqualTo((WINDOW - 1 + BLOCK - 1) / BLOCK + 1);
            assertThat(kv.reservedPositions(0)).isEqualTo((p / BLOCK + 1) * BLOCK);
        }
        assertThatThrownBy(() -> kv.windowSlot(0, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not held");
        assertThat(kv.freeBlocks()).as("the full layers keep every position").isEqualTo(32 - 10);
        assertThat(kv.windowFreeBlocks()).isEqualTo(kv.windowCapacityBlocks() - kv.windowBlocksHeld(0));
        kv.release(0);
        assertThat(kv.freeBlocks()).isEqualTo(32);
        assertThat(kv.windowFreeBlocks()).isEqualTo(kv.windowCapacityBlocks());
    }

    @Test
    void aReserveEitherPoolCannotMeetTakesNothing() {
        WindowedKvCache kv = new WindowedKvCache(8, 2, BLOCK, 2, WINDOW);
        assertThat(kv.reserve(0, 12)).as("three windowed blocks from two").isFalse();
        assertThat(kv.freeBlocks()).isEqualTo(8);
        assertThat(kv.windowFreeBlocks()).isEqualTo(2);
        WindowedKvCache small = new WindowedKvCache(2, 8, BLOCK, 2, WINDOW);
        assertThat(small.reserve(0, 12)).as("three full blocks from two").isFalse();
        assertThat(small.freeBlocks()).isEqualTo(2);
        assertThat(small.windowFreeBlocks()).isEqualTo(8);
    }

    /** Random steps of decode tokens and prompt chunks, at most the step's limit in all, never run short. */
    @Test
    void theBoundHoldsForAnyStepsWithinTheTokenLimit() {
        int sequences = 4;
        int stepTokens = 10;
        WindowedKvCache kv = new WindowedKvCache(sequences * 100, WindowedKvCache.blocksFor(WINDOW, BLOCK, sequences,
                stepTokens), BLOCK, sequences, WINDOW);
        SplittableRandom random = new SplittableRandom(7);
        int[] fed = new int[sequences];
        int[] length = new int[sequences];
        for (int s = 0; s < sequences; s++) {
            length[s] = 1 + random.nextInt(300);
        }
        for (int step = 0; step < 3000; step++) {
            int left = stepTokens;
            for (int s = 0; s < sequences && left > 0; s++) {
                int s0 = (s + step) % sequences; // vary who gets the step's room
                if (random.nextInt(4) == 0) {
                    continue; // sits this step out, holding what it holds
                }
                int take = Math.min(left, Math.min(length[s0] - fed[s0], 1 + random.nextInt(stepTokens)));
                assertThat(kv.reserve(s0, fed[s0] + take)).as("step %d, sequence %d", step, s0).isTrue();
                fed[s0] += take;
                left -= take;
            }
            for (int s = 0; s < sequences; s++) {
                kv.computesFrom(s, fed[s]);
                if (fed[s] == length[s]) {
                    kv.release(s);
                    fed[s] = 0;
                    length[s] = 1 + random.nextInt(300);
                }
            }
        }
    }

    @Test
    void aPrefixComesWithTheWindowedBlocksItsNextPositionReaches() {
        WindowedKvCache kv = new WindowedKvCache(16, 8, BLOCK, 2, WINDOW);
        kv.setPrefixCaching(true);
        int[] ids = range(100, 13);
        decode(kv, 0, java.util.Arrays.copyOf(ids, 12), 0);
        int[] slots = new int[12];
        for (int p = 12 - WINDOW + 1; p < 12; p++) {
            slots[p] = kv.windowSlot(0, p);
        }
        kv.release(0);
        // 12 positions asked for: three whole blocks; position 12's window reaches back to 7 (blocks 1 and 2)
        assertThat(kv.attachPrefix(1, tokens(ids), 12, null)).isEqualTo(12);
        assertThat(kv.windowBlocksHeld(1)).isEqualTo(2);
        for (int p = 12 - WINDOW + 1; p < 12; p++) {
            assertThat(kv.windowSlot(1, p)).as("position %d", p).isEqualTo(slots[p]);
        }
        assertThat(kv.reusedBlocks()).isEqualTo(3);
    }

    @Test
    void aPrefixEndsBeforeAWindowedBlockTakenSince() {
        WindowedKvCache kv = new WindowedKvCache(32, 6, BLOCK, 4, WINDOW);
        kv.setPrefixCaching(true);
        int[] ids = range(100, 21);
        decode(kv, 0, ids, 0);
        kv.release(0);
        // another prompt sharing the first 12 positions holds their blocks 1 and 2
        int[] sharing = new int[14];
        System.arraycopy(ids, 0, sharing, 0, 12);
        sharing[12] = 7;
        sharing[13] = 8;
        assertThat(kv.attachPrefix(1, tokens(sharing), 13, null)).isEqualTo(12);
        // an unrelated sequence then takes the free windowed blocks, the first prompt's last ones among them
        int[] other = range(500, 16);
        decode(kv, 2, other, 0);
        // the first prompt again: its full blocks are all remembered, but the windows of positions
        // 20 and 16 reach blocks taken since; position 12's reaches blocks 1 and 2, still held
        assertThat(kv.attachPrefix(3, tokens(ids), 20, null)).isEqualTo(12);
        assertThat(kv.windowBlocksHeld(3)).isEqualTo(2);
        assertThat(kv.windowSlot(3, 8)).isEqualTo(kv.windowSlot(1, 8));
    }

    @Test
    void turningPrefixCachingOffForgetsTheWindowedBlocksToo() {
        WindowedKvCache kv = new WindowedKvCache(16, 8, BLOCK, 2, WINDOW);
        kv.setPrefixCaching(true);
        int[] ids = range(100, 13);
        decode(kv, 0, ids, 0);
        kv.release(0);
        kv.setPrefixCaching(false);
        kv.setPrefixCaching(true);
        assertThat(kv.attachPrefix(1, tokens(ids), 12, null)).isZero();
        assertThat(kv.windowFreeBlocks()).isEqualTo(8);
    }

    @Test
    void attachingNeedsAnEmptySequence() {
        WindowedKvCache kv = new WindowedKvCache(16, 8, BLOCK, 2, WINDOW);
        kv.setPrefixCaching(true);
        assertThat(kv.reserve(0, 3)).isTrue();
        assertThatThrownBy(() -> kv.attachPrefix(0, p -> p, 8, null)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new WindowedKvCache(16, 0, BLOCK, 2, WINDOW))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** Records what a cache asks of its saved states: "save seq->checkpoint", "restore checkpoint->seq@positions". */
    private static final class Recorder implements StateCheckpoints.Copier {
        final java.util.List<String> calls = new java.util.ArrayList<>();

        @Override
        public void save(int sequence, int checkpoint) {
            calls.add("save " + sequence + "->" + checkpoint);
        }

        @Override
        public void restore(int checkpoint, int sequence, int positions) {
            calls.add("restore " + checkpoint + "->" + sequence + "@" + positions);
        }
    }

    @Test
    void withSavedStatesAPrefixIsAttachedOnlyWhereAStateEndsAndItsStateComesWithIt() {
        WindowedKvCache kv = new WindowedKvCache(32, WindowedKvCache.blocksFor(WINDOW, BLOCK, 3, 4), BLOCK, 3, WINDOW);
        Recorder copier = new Recorder();
        StateCheckpoints states = new StateCheckpoints(2, copier);
        kv.keepStates(states);
        kv.setPrefixCaching(true);
        int[] ids = range(100, 14);
        decode(kv, 0, ids, 0);
        // nothing saved yet: nothing of the written prefix is attached, but all three blocks are shared
        assertThat(kv.attachPrefix(1, tokens(ids), 13, null)).isZero();
        assertThat(kv.sharedPrefix(1)).isEqualTo(12);
        kv.release(1);
        assertThat(kv.sharedPrefix(1)).isZero();
        kv.stateReached(0, 8);   // the state of the first two blocks
        kv.stateReached(0, 6);   // not a block's end: ignored
        assertThat(copier.calls).containsExactly("save 0->0");
        kv.release(0);
        // three whole blocks are remembered, but a state is saved after two
        assertThat(kv.attachPrefix(1, tokens(ids), 13, null)).isEqualTo(8);
        assertThat(kv.sharedPrefix(1)).as("shared past the saved state").isEqualTo(12);
        assertThat(copier.calls).containsExactly("save 0->0", "restore 0->1@8");
        // sequence 1 writes the third block first; sequence 2 writes the same content again and saves
        // its state there: under the block a sequence starting the same way finds, sequence 1's
        decode(kv, 1, ids, 8);
        kv.release(1);
        decode(kv, 2, ids, 0);
        kv.stateReached(2, 12);
        assertThat(states.saved()).isEqualTo(2);
        kv.release(2);
        assertThat(kv.attachPrefix(0, tokens(ids), 13, null)).isEqualTo(12);
        assertThat(copier.calls.getLast()).isEqualTo("restore 1->0@12");
        kv.release(0);
        kv.setPrefixCaching(false);
        kv.setPrefixCaching(true);
        assertThat(states.holds(0L)).isFalse();
        assertThat(kv.attachPrefix(0, tokens(ids), 13, null)).isZero();
    }

    /**
     * A generating sequence's states: each saved in place of its previous one, so a sequence takes one
     * checkpoint however far it goes, and the latest is what a later prompt repeating it attaches.
     */
    @Test
    void aGeneratingSequenceKeepsOneStateWhichMovesOnWithIt() {
        WindowedKvCache kv = new WindowedKvCache(32, WindowedKvCache.blocksFor(WINDOW, BLOCK, 3, 4), BLOCK, 3, WINDOW);
        Recorder copier = new Recorder();
        StateCheckpoints states = new StateCheckpoints(2, copier);
        kv.keepStates(states);
        kv.setPrefixCaching(true);
        int[] ids = range(200, 14);
        decode(kv, 0, ids, 0);
        kv.stateReached(0, 4);         // its prompt's state
        kv.stateAdvanced(0, 0, 8);     // then as it generates
        kv.stateAdvanced(0, 8, 12);
        assertThat(copier.calls).as("the generated states share one checkpoint")
                .containsExactly("save 0->0", "save 0->1", "save 0->1");
        kv.stateAdvanced(0, 12, 10);   // not a block's end: ignored
        assertThat(states.saved()).isEqualTo(3);
        kv.release(0);
        assertThat(kv.attachPrefix(1, tokens(ids), 13, null)).as("the latest").isEqualTo(12);
        assertThat(copier.calls.getLast()).isEqualTo("restore 1->1@12");
    }
}
