package dev.switchyard.cache.sim;

import dev.switchyard.cache.trace.RoutingTrace;
import dev.switchyard.cache.trace.TraceHeader;
import dev.switchyard.cache.trace.TraceStep;
import java.util.ArrayList;
import java.util.List;

/** Small traces written by hand for tests. */
public final class CraftedTraces {

    private CraftedTraces() {
    }

    /** One layer, top-1, one decode token per step: the access stream is exactly {@code keys}. */
    public static RoutingTrace singleLayer(int experts, int... keys) {
        TraceHeader h = new TraceHeader(1, experts, 1, 0, 0, 0, "crafted");
        List<TraceStep> steps = new ArrayList<>();
        for (int key : keys) {
            steps.add(new TraceStep(false, new int[] {0}, new int[][] {{key}}, new int[][][] {{}}));
        }
        return new RoutingTrace(h, steps);
    }

    public static AccessStream stream(int experts, int... keys) {
        return AccessStream.of(List.of(singleLayer(experts, keys)));
    }

    /** The fewest misses any demand policy can have on {@code keys} (keys below 31): exhaustive search. */
    public static long optimalMisses(int[] keys, int capacity) {
        return fewestMisses(keys, 0, 0, capacity, new java.util.HashMap<>());
    }

    /**
     * The fewest misses from access {@code i} on with {@code resident} (a bit set) in the cache,
     * trying every choice a demand policy has on a miss: keep the newcomer out, or evict any one
     * resident.
     */
    private static long fewestMisses(int[] keys, int i, int resident, int capacity, java.util.Map<Long, Long> memo) {
        if (i == keys.length) {
            return 0;
        }
        long state = ((long) i << 32) | resident;
        Long known = memo.get(state);
        if (known != null) {
            return known;
        }
        int bit = 1 << keys[i];
        long best;
        if ((resident & bit) != 0) {
            best = fewestMisses(keys, i + 1, resident, capacity, memo);
        } else {
            best = 1 + fewestMisses(keys, i + 1, resident, capacity, memo); // keep it out
            if (Integer.bitCount(resident) < capacity) {
                best = Math.min(best, 1 + fewestMisses(keys, i + 1, resident | bit, capacity, memo));
            } else {
                for (int r = resident; r != 0; r &= r - 1) {
                    int victim = Integer.lowestOneBit(r);
                    best = Math.min(best, 1 + fewestMisses(keys, i + 1, (resident & ~victim) | bit, capacity, memo));
                }
            }
        }
        memo.put(state, best);
        return best;
    }
}
