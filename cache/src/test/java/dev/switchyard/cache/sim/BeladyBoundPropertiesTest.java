package dev.switchyard.cache.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Belady's policy is optimal: checked against exhaustive search and against every demand policy. */
class BeladyBoundPropertiesTest {

    @Property(tries = 200)
    void beladyMissesNoMoreThanEveryDemandPolicy(
            @ForAll @Size(min = 1, max = 300) int[] raw,
            @ForAll @IntRange(min = 2, max = 12) int keySpace,
            @ForAll @IntRange(min = 1, max = 8) int capacity) {
        int[] keys = Arrays.stream(raw).map(k -> Math.floorMod(k, keySpace)).toArray();
        AccessStream stream = CraftedTraces.stream(keySpace, keys);
        long opt = misses(new ClairvoyantPolicy(capacity, stream), keys);
        assertThat(misses(new LruPolicy(capacity, keySpace), keys)).isGreaterThanOrEqualTo(opt);
        assertThat(misses(new LfuPolicy(capacity, keySpace), keys)).isGreaterThanOrEqualTo(opt);
        assertThat(misses(new CaffeinePolicy(capacity, keySpace, keySpace), keys)).isGreaterThanOrEqualTo(opt);
        assertThat(misses(new StaticOptimumPolicy(capacity, stream), keys)).isGreaterThanOrEqualTo(opt);
        assertThat(missesPerVisit(new NextUsePolicy(capacity, 1, keySpace, 1), keys)).isGreaterThanOrEqualTo(opt);
    }

    /** Each access its own visit of the one layer, as the simulator announces a single-layer trace. */
    private static long missesPerVisit(Policy p, int[] keys) {
        for (int k : keys) {
            p.beginLayer(0);
            p.access(k);
        }
        return p.stats().misses();
    }

    @Property(tries = 200)
    void beladyMatchesExhaustiveSearch(
            @ForAll @Size(min = 1, max = 14) int[] raw,
            @ForAll @IntRange(min = 2, max = 5) int keySpace,
            @ForAll @IntRange(min = 1, max = 3) int capacity) {
        int[] keys = Arrays.stream(raw).map(k -> Math.floorMod(k, keySpace)).toArray();
        long opt = misses(new ClairvoyantPolicy(capacity, CraftedTraces.stream(keySpace, keys)), keys);
        assertThat(opt).isEqualTo(CraftedTraces.optimalMisses(keys, capacity));
    }

    private static long misses(Policy p, int[] keys) {
        for (int k : keys) {
            p.access(k);
        }
        return p.stats().misses();
    }
}
