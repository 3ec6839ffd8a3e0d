package dev.switchyard.engine.tokenizer;

/**
 * An open-addressing map from strings to ints that can be queried with a slice of a char array, so
 * hot loops look tokens up without allocating substrings. Hashes are {@link String#hashCode()}'s.
 */
final class CharSequenceMap {

    private final String[] keys;
    private final int[] values;
    private final int mask;
    private int size;
    private int maxKeyLength;

    CharSequenceMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new String[cap];
        values = new int[cap];
        mask = cap - 1;
    }

    private static int mix(int h) {
        return h ^ (h >>> 16) ^ (h >>> 7);
    }

    /** Inserts or replaces. */
    void put(String key, int value) {
        if (size * 2 >= keys.length) {
            throw new IllegalStateException("map is full");
        }
        int i = mix(key.hashCode()) & mask;
        while (keys[i] != null) {
            if (keys[i].equals(key)) {
                values[i] = value;
                return;
            }
            i = (i + 1) & mask;
        }
        keys[i] = key;
        values[i] = value;
        size++;
        maxKeyLength = Math.max(maxKeyLength, key.length());
    }

    int get(String key) {
        int i = mix(key.hashCode()) & mask;
        String k;
        while ((k = keys[i]) != null) {
            if (k.equals(key)) {
                return values[i];
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    /** The value for {@code chars[off, off+len)}, or -1. */
    int get(char[] chars, int off, int len) {
        if (len > maxKeyLength) {
            return -1;
        }
        int h = 0;
        for (int j = 0; j < len; j++) {
            h = 31 * h + chars[off + j];
        }
        int i = mix(h) & mask;
        String k;
        while ((k = keys[i]) != null) {
            if (k.length() == len && k.hashCode() == h && regionEquals(k, chars, off, len)) {
                return values[i];
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    private static boolean regionEquals(String k, char[] chars, int off, int len) {
        for (int j = 0; j < len; j++) {
            if (k.charAt(j) != chars[off + j]) {
                return false;
            }
        }
        return true;
    }

    int size() {
        return size;
    }
}
