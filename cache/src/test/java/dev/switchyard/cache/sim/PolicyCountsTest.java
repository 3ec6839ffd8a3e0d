package dev.switchyard.cache.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Each policy on traces small enough to count by hand. */
class PolicyCountsTest {

    private static PolicyStats replay(Policy policy, int... keys) {
        for (int k : keys) {
            policy.access(k);
        }
        policy.finish();
        return policy.stats();
    }

    @Test
    void lruEvictsTheLeastRecentlyUsed() {
        // a b a c b a, 2 slots: m m h m(evicts b) m(evicts a) m(evicts c)
        PolicyStats s = replay(new LruPolicy(2, 3), 0, 1, 0, 2, 1, 0);
        assertThat(s.hits()).isEqualTo(1);
        assertThat(s.misses()).isEqualTo(5);
        assertThat(s.evictions()).isEqualTo(3);
    }

    @Test
    void lfuEvictsTheLeastFrequentThenTheLeastRecent() {
        // a a b c a b, 2 slots: m h m m(evicts b: 1 use vs a's 2) h m(evicts c)
        PolicyStats s = replay(new LfuPolicy(2, 3), 0, 0, 1, 2, 0, 1);
        assertThat(s.hits()).isEqualTo(2);
        assertThat(s.misses()).isEqualTo(4);
        // b c b c with a hot: a survives every eviction
        PolicyStats hot = replay(new LfuPolicy(2, 3), 0, 0, 0, 1, 2, 1, 2, 0);
        assertThat(hot.misses()).isEqualTo(5); // a, b, c, b, c miss; the last a hits
        assertThat(hot.hits()).isEqualTo(3);
    }

    @Test
    void lfuEqualCountsEvictTheOlder() {
        // a b c, 2 slots, all used once: c evicts a (the older); then b hits, a misses
        PolicyStats s = replay(new LfuPolicy(2, 3), 0, 1, 2, 1, 0);
        assertThat(s.hits()).isEqualTo(1);
        assertThat(s.misses()).isEqualTo(4);
    }

    @Test
    void caffeineMissesOnlyColdWhenEverythingFits() {
        PolicyStats s = replay(new CaffeinePolicy(4, 4, 4), 0, 1, 2, 3, 0, 1, 2, 3, 3, 2);
        assertThat(s.misses()).isEqualTo(4);
        assertThat(s.hits()).isEqualTo(6);
    }

    @Test
    void caffeineKeepsAFrequentExpertThroughAScanThatFlushesLru() {
        // Caffeine counts frequencies once the cache is half full, so four experts come first; then
        // a is used often, then a scan of one-off experts passes. W-TinyLFU keeps a, LRU loses it.
        int[] keys = new int[64];
        int n = 0;
        for (int i = 1; i <= 4; i++) {
            keys[n++] = i;
        }
        for (int i = 0; i < 20; i++) {
            keys[n++] = 0;
        }
        for (int i = 5; i <= 43; i++) {
            keys[n++] = i;
        }
        keys[n] = 0;
        Policy caffeine = new CaffeinePolicy(8, 44, 44);
        Policy lru = new LruPolicy(8, 44);
        replay(caffeine, keys);
        replay(lru, keys);
        assertThat(caffeine.stats().hits()).isEqualTo(20); // 19 repeats of a, and a after the scan
        assertThat(lru.stats().hits()).isEqualTo(19);
    }

    @Test
    void caffeineCountsAnEvictionForEveryNewcomerBeyondItsSize() {
        // whether W-TinyLFU evicts the newcomer or its victim, the cache stays at its size
        PolicyStats s = replay(new CaffeinePolicy(2, 5, 5), 0, 1, 2, 3, 4);
        assertThat(s.misses()).isEqualTo(5);
        assertThat(s.evictions()).isEqualTo(3);
    }

    @Test
    void beladyOnTheTextbookReferenceString() {
        // Silberschatz's reference string, 3 frames: the book's OPT takes 9 faults, admitting every
        // newcomer. Keeping out one that is needed last saves a fault: 8, the exhaustive optimum.
        int[] refs = {7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1};
        AccessStream stream = CraftedTraces.stream(8, refs);
        PolicyStats s = replay(new ClairvoyantPolicy(3, stream), refs);
        assertThat(s.misses()).isEqualTo(8).isEqualTo(CraftedTraces.optimalMisses(refs, 3));
        PolicyStats lru = replay(new LruPolicy(3, 8), refs);
        assertThat(lru.misses()).isEqualTo(12); // the same book's LRU count
    }

    @Test
    void beladyKeepsOutANewcomerNeededLast() {
        // a b c a b c, 2 slots: c is needed after a and b, so it is not admitted: m m m h h m
        int[] refs = {0, 1, 2, 0, 1, 2};
        PolicyStats s = replay(new ClairvoyantPolicy(2, CraftedTraces.stream(3, refs)), refs);
        assertThat(s.misses()).isEqualTo(4);
        assertThat(s.hits()).isEqualTo(2);
        assertThat(replay(new LruPolicy(2, 3), refs).misses()).isEqualTo(6);
    }

    @Test
    void beladyRefusesAReplayOutOfOrder() {
        ClairvoyantPolicy p = new ClairvoyantPolicy(2, CraftedTraces.stream(3, 0, 1, 2));
        p.access(0);
        assertThatThrownBy(() -> p.access(2)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("in order");
    }

    @Test
    void predictiveCountsUsefulAndWastedPrefetches() {
        // one expert per layer (keys are layers here), 2 slots; most recent first
        PredictivePolicy p = new PredictivePolicy(2, 4, 1);
        p.beginLayer(0);
        assertThat(p.access(0)).isFalse();          // demand miss: [0]
        assertThat(p.prefetch(1)).isTrue();         // copy started: [1 0]
        assertThat(p.prefetch(1)).isFalse();        // already there, no copy
        p.beginLayer(1);
        assertThat(p.access(1)).isTrue();           // served by the prefetch: useful
        assertThat(p.prefetch(2)).isTrue();         // evicts 0: [2 1]
        p.beginLayer(2);                            // layer 2 uses nothing
        p.beginLayer(3);                            // so its prefetch was wrong: 2 goes last: [1 2]
        assertThat(p.access(3)).isFalse();          // evicts 2, wasted: [3 1] (plain LRU would evict 1)
        assertThat(p.access(1)).isTrue();           // 1 survived the wrong guess: [1 3]
        assertThat(p.prefetch(0)).isFalse();        // the only victim, 3, is in use: hint dropped
        p.finish();
        PolicyStats s = p.stats();
        assertThat(s.hits()).isEqualTo(2);
        assertThat(s.misses()).isEqualTo(2);
        assertThat(s.prefetches()).isEqualTo(2);
        assertThat(s.usefulPrefetches()).isEqualTo(1);
        assertThat(s.wastedPrefetches()).isEqualTo(1);
        assertThat(s.prefetchPrecision()).isEqualTo(0.5);
    }

    @Test
    void predictiveNeverEvictsAnExpertTheCurrentLayerUses() {
        PredictivePolicy p = new PredictivePolicy(1, 4, 4);
        p.beginLayer(0);
        p.access(0);
        assertThat(p.prefetch(1)).isFalse();
        p.beginLayer(1);
        assertThat(p.prefetch(1)).isTrue();
        assertThat(p.access(1)).isTrue();
    }

    @Test
    void nextUseKeepsTwoOfThreeLayersWhereLruThrashes() {
        // three layers, two experts, each layer always picks expert 0: keys 0, 2, 4 in a cycle.
        // Two slots: LRU always evicts the key needed next and never hits; a policy that knows the
        // cycle keeps two layers' experts and turns the third away, as Belady's optimum does.
        int cycles = 30;
        NextUsePolicy next = new NextUsePolicy(2, 3, 2, 1);
        LruPolicy lru = new LruPolicy(2, 6);
        for (int c = 0; c < cycles; c++) {
            for (int layer = 0; layer < 3; layer++) {
                next.beginLayer(layer);
                next.access(2 * layer);
                lru.access(2 * layer);
            }
        }
        assertThat(lru.stats().hits()).isZero();
        // after the first cycle's three cold misses, one miss per cycle
        assertThat(next.stats().misses()).isEqualTo(3 + (cycles - 1));
        assertThat(next.stats().hits()).isEqualTo(2L * (cycles - 1));
    }

    @Test
    void nextUseTurnsAwayANewcomerWhoseLayerComesRoundLast() {
        // three layers, two experts, slots for two, nothing learnt yet (every pick equally likely):
        // at layer 2 its own expert is next needed three layers on, layer 0's in one and layer 1's
        // in two, so the newcomer stays out, as Belady's optimum would keep it out
        NextUsePolicy p = new NextUsePolicy(2, 3, 2, 1);
        p.beginLayer(0);
        p.access(0);
        p.beginLayer(1);
        p.access(2);
        p.beginLayer(2);
        assertThat(p.access(4)).isFalse();
        assertThat(p.holds(0)).isTrue();
        assertThat(p.holds(2)).isTrue();
        assertThat(p.holds(4)).isFalse();
    }

    @Test
    void nextUseNeverEvictsAnExpertTheRunningLayerAskedFor() {
        // top-2 of four experts per layer, two slots: the running layer's two picks fill the cache,
        // so a third pick in that layer is turned away rather than evict one of them
        NextUsePolicy p = new NextUsePolicy(2, 2, 4, 2);
        p.beginLayer(0);
        p.access(0);
        p.access(1);
        assertThat(p.access(2)).isFalse();
        assertThat(p.holds(0)).isTrue();
        assertThat(p.holds(1)).isTrue();
        assertThat(p.holds(2)).isFalse();
    }

    @Test
    void staticOptimumHoldsTheMostUsedExpertsOnly() {
        // a used 3 times, b twice, c and d once; 2 slots: a and b load on first use, c and d stay out
        int[] keys = {0, 1, 0, 2, 0, 1, 3};
        PolicyStats s = replay(new StaticOptimumPolicy(2, CraftedTraces.stream(4, keys)), keys);
        assertThat(s.hits()).isEqualTo(3);
        assertThat(s.misses()).isEqualTo(4);
        assertThat(s.evictions()).isZero();
    }
}
