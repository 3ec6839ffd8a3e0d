package dev.switchyard.cache.sim;

import java.util.TreeSet;

/**
 * Belady's optimal demand policy (Belady, 1966): on a miss with a full cache, evict the expert
 * whose next use lies furthest in the future, or keep the newcomer out when its own next use is
 * further still (the other policies may turn newcomers away too: Caffeine's TinyLFU does, so the
 * bound must allow it). No demand policy can miss less on the same access stream, which makes this
 * the yardstick for the others. It reads the whole stream ahead, so it must be replayed exactly in
 * stream order; it checks that it is.
 */
public final class ClairvoyantPolicy implements Policy {

    private static final int NEVER = Integer.MAX_VALUE;

    private final int capacity;
    private final AccessStream stream;
    private final int[] nextUse;         // per access index: the index of the same key's next access
    private final int[] residentNext;    // per key: next use of a resident key, or -1 when absent
    /** Resident keys ordered by next use (then key); a key's next use changes only while it is out. */
    private final TreeSet<Long> byNextUse = new TreeSet<>();
    private int cursor;
    private final PolicyStats stats = new PolicyStats();

    public ClairvoyantPolicy(int capacity, AccessStream stream) {
        this.capacity = capacity;
        this.stream = stream;
        this.nextUse = new int[stream.size()];
        int[] upcoming = new int[stream.keySpace()];
        java.util.Arrays.fill(upcoming, NEVER);
        for (int i = stream.size() - 1; i >= 0; i--) {
            int key = stream.key(i);
            nextUse[i] = upcoming[key];
            upcoming[key] = i;
        }
        this.residentNext = new int[stream.keySpace()];
        java.util.Arrays.fill(residentNext, -1);
    }

    @Override
    public boolean access(int key) {
        if (cursor >= stream.size() || stream.key(cursor) != key) {
            throw new IllegalStateException("the clairvoyant policy must replay its own access stream in order "
                    + "(access " + cursor + ")");
        }
        int next = nextUse[cursor++];
        if (residentNext[key] >= 0) {
            stats.hit();
            byNextUse.remove(code(residentNext[key], key));
            admit(key, next);
            return true;
        }
        stats.miss();
        if (byNextUse.size() < capacity) {
            admit(key, next);
            return false;
        }
        long furthest = byNextUse.last();
        if (next >= (int) (furthest >>> 32)) {
            return false; // the newcomer is needed last (or never): keeping it out is optimal
        }
        byNextUse.pollLast();
        residentNext[(int) furthest] = -1;
        stats.eviction();
        admit(key, next);
        return false;
    }

    private void admit(int key, int next) {
        residentNext[key] = next;
        byNextUse.add(code(next, key));
    }

    private static long code(int next, int key) {
        return ((long) next << 32) | key;
    }

    @Override
    public PolicyStats stats() {
        return stats;
    }
}
