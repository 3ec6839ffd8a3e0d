package dev.switchyard.engine.tokenizer;

/** An open-addressing map from a pair of symbol ids to a merge rank. */
final class PairRankMap {

    private static final long EMPTY = -1L;

    private final long[] keys;
    private final int[] ranks;
    private final int mask;

    PairRankMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        java.util.Arrays.fill(keys, EMPTY);
        ranks = new int[cap];
        mask = cap - 1;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xffffffffL);
    }

    private static int slot(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & mask;
    }

    /** Adds the pair unless present: the first (lowest) rank of a duplicated merge wins. */
    void putIfAbsent(int left, int right, int rank) {
        long k = key(left, right);
        int i = slot(k, mask);
        while (keys[i] != EMPTY) {
            if (keys[i] == k) {
                return;
            }
            i = (i + 1) & mask;
        }
        keys[i] = k;
        ranks[i] = rank;
    }

    /** The rank of merging {@code left} with {@code right}, or -1. */
    int get(int left, int right) {
        long k = key(left, right);
        int i = slot(k, mask);
        long stored;
        while ((stored = keys[i]) != EMPTY) {
            if (stored == k) {
                return ranks[i];
            }
            i = (i + 1) & mask;
        }
        return -1;
    }
}
