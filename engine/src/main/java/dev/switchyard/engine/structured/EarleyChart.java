package dev.switchyard.engine.structured;

import java.util.Arrays;

/**
 * An Earley parser's chart for one reply to a {@link Grammar}: columns of items that can still be
 * finished, each item the place of its dot and the column it began in. A column is built from
 * another by scanning a code point, then closed by prediction and completion, nullable rules
 * stepped over as they are predicted (Aycock and Horspool's way), so that an empty completion never
 * has to look back into the column being built.
 *
 * <p>Columns are only ever appended, so trying text costs no copy: cursors that read the same reply
 * share a chart, and a cursor builds past the columns of its own history, dropping any a trial
 * built there before (see {@link GrammarCursor}). A column built that would parse on exactly as an
 * earlier one does is dropped for it: a run of free text (a repetition) stays in one column, an
 * escape in a string comes back to the string's, so replies take memory for the structure they
 * open, not for their length. Which ASCII code points leave a column as it is is remembered per
 * column, so that walking a vocabulary through a run costs a bit test per byte. Grows its arrays as
 * replies lengthen; allocates nothing otherwise.
 */
final class EarleyChart {

    /** What {@link #step} returns for a code point no item can take. */
    static final int REFUSED = -1;
    private static final byte ACCEPTS = 1;
    private static final byte CONTINUES = 2;
    /** Columns remembered by what they hold, to find an equal one: a cache, a later column taking an earlier's slot. */
    private static final int KNOWN_COLUMNS = 1024;

    private final Grammar g;
    private int[] place = new int[256];
    private int[] origin = new int[256];
    /** Column c's items are {@code [columnStart[c], columnStart[c + 1])}. */
    private int[] columnStart = new int[64];
    private byte[] flags = new byte[64];
    /** Per column: its items that wait on something (not finished), and a hash of them. */
    private int[] waiting = new int[64];
    private long[] contents = new long[64];
    /**
     * Per column, what reads leave it as it is: ASCII code points as two bit sets, and the set of its
     * terminal items (by their order among them) a code point matched to do so (0: none known).
     */
    private long[] loopLow = new long[64];
    private long[] loopHigh = new long[64];
    private long[] loopMatch = new long[64];
    /** Per column: whether every code point past ASCII leaves it as it is (1), not (2), or not yet known (0). */
    private byte[] loopsAbove = new byte[64];
    private int columns;
    /** By hash of contents: a column that holds them (or held them before the chart was cut back). */
    private final long[] knownContents = new long[KNOWN_COLUMNS];
    private final int[] knownColumn = new int[KNOWN_COLUMNS];
    /** Items of the column being built, and where it starts. */
    private int count;
    private int building;
    /** The column being built's items, by (place, origin): an open-addressed set cleared by generation. */
    private long[] keys = new long[256];
    private int[] stamps = new int[256];
    private int generation;
    /** Per rule: the generation it was last predicted in. */
    private final int[] predicted;

    EarleyChart(Grammar g) {
        this.g = g;
        this.predicted = new int[g.alternatives.length];
        Arrays.fill(knownColumn, -1);
        begin(0);
        predict(Grammar.ROOT, 0);
        close(0);
    }

    /**
     * Reads {@code cp} after column {@code c}, for a cursor whose history is the chart's first
     * {@code end} columns: {@link #REFUSED} where no item can take it; else the column the text then
     * stands at, which is {@code end} where a new column was built there (dropping what stood past
     * {@code end}), or an earlier column that parses on as it would have.
     */
    int step(int c, int end, int cp) {
        if (c >= end || end > columns) {
            throw new IllegalStateException("a cursor at column " + c + " of " + end + " in a chart of " + columns);
        }
        if (cp < 128 && loops(c, cp)) {
            return c;
        }
        int from = columnStart[c];
        int to = columnStart[c + 1];
        long matched = 0; // the first 64 terminal items that take cp; past them a column's loops are not remembered
        boolean any = false;
        int terminals = 0;
        for (int i = from; i < to; i++) {
            int e = g.body[place[i]];
            if (e < 0 && e != Grammar.END) {
                if (g.holds(-1 - e, cp)) {
                    any = true;
                    matched |= terminals < 64 ? 1L << terminals : 0;
                }
                terminals++;
            }
        }
        if (!any) {
            return REFUSED;
        }
        boolean remembered = terminals <= 64;
        if (remembered && matched == loopMatch[c]) {
            remember(c, cp);
            return c;
        }
        columns = end;
        begin(end);
        for (int i = from; i < to; i++) {
            int e = g.body[place[i]];
            if (e < 0 && e != Grammar.END && g.holds(-1 - e, cp)) {
                add(place[i] + 1, origin[i]);
            }
        }
        close(end);
        int same = equalColumn(end);
        if (same < 0) {
            int slot = (int) contents[end] & KNOWN_COLUMNS - 1;
            knownContents[slot] = contents[end];
            knownColumn[slot] = end;
            return end;
        }
        columns = end;
        if (same == c && remembered) {
            loopMatch[c] = matched;
            remember(c, cp);
        }
        return same;
    }

    /** Whether ASCII code point {@code cp} is known to leave column {@code c} as it is. */
    boolean loops(int c, int cp) {
        return cp < 64 ? (loopLow[c] >>> cp & 1) != 0 : (loopHigh[c] >>> cp - 64 & 1) != 0;
    }

    private void remember(int c, int cp) {
        if (cp < 64) {
            loopLow[c] |= 1L << cp;
        } else if (cp < 128) {
            loopHigh[c] |= 1L << cp - 64;
        }
    }

    /**
     * Whether every code point past ASCII is known to leave column {@code c} as it is: each of its
     * terminal items takes all of them or none, and those that take them are the ones a code point
     * that left the column as it is matched.
     */
    boolean loopsAboveAscii(int c) {
        if (loopsAbove[c] == 0 && loopMatch[c] != 0) {
            long all = 0;
            int t = 0;
            boolean known = true;
            for (int i = columnStart[c]; i < columnStart[c + 1] && known; i++) {
                int e = g.body[place[i]];
                if (e < 0 && e != Grammar.END) {
                    int cover = g.aboveAscii(-1 - e);
                    known = cover >= 0 && t < 64;
                    all |= cover == 1 && t < 64 ? 1L << t : 0;
                    t++;
                }
            }
            loopsAbove[c] = (byte) (known && all == loopMatch[c] ? 1 : 2);
        }
        return loopsAbove[c] == 1;
    }

    /**
     * An earlier column that the one just built ({@code n}) would parse on as, or -1: the same
     * flags, and the same items waiting on something, an item that began in its own column matched
     * with one that began in {@code n}. Finished items are left out, since nothing looks back at
     * them once a column is closed; so a run of a rule inside a repetition (JSON's characters of a
     * string) stays in one column, though each of its characters predicts the rule afresh.
     */
    private int equalColumn(int n) {
        int slot = (int) contents[n] & KNOWN_COLUMNS - 1;
        int t = knownColumn[slot];
        if (t < 0 || t >= n || knownContents[slot] != contents[n] || contents[t] != contents[n]
                || flags[t] != flags[n] || waiting[t] != waiting[n]) {
            return -1;
        }
        for (int i = columnStart[t]; i < columnStart[t + 1]; i++) {
            if (g.body[place[i]] != Grammar.END && !contains(place[i], origin[i] == t ? n : origin[i])) {
                return -1;
            }
        }
        return t;
    }

    /** Whether the text up to column {@code c} is a whole sentence of the grammar. */
    boolean accepts(int c) {
        return (flags[c] & ACCEPTS) != 0;
    }

    /** Whether some code point may follow the text up to column {@code c}. */
    boolean continues(int c) {
        return (flags[c] & CONTINUES) != 0;
    }

    /** Whether some code point of {@code [lo, hi]} may follow the text up to column {@code c}. */
    boolean anyIn(int c, int lo, int hi) {
        for (int i = columnStart[c]; i < columnStart[c + 1]; i++) {
            int e = g.body[place[i]];
            if (e < 0 && e != Grammar.END && g.holdsAny(-1 - e, lo, hi)) {
                return true;
            }
        }
        return false;
    }

    private void begin(int c) {
        if (c + 2 > columnStart.length) {
            int n = columnStart.length * 2;
            columnStart = Arrays.copyOf(columnStart, n);
            flags = Arrays.copyOf(flags, n);
            waiting = Arrays.copyOf(waiting, n);
            contents = Arrays.copyOf(contents, n);
            loopLow = Arrays.copyOf(loopLow, n);
            loopHigh = Arrays.copyOf(loopHigh, n);
            loopMatch = Arrays.copyOf(loopMatch, n);
            loopsAbove = Arrays.copyOf(loopsAbove, n);
        }
        building = columnStart[c];
        count = building;
        if (++generation == Integer.MAX_VALUE) {
            Arrays.fill(stamps, 0);
            Arrays.fill(predicted, 0);
            generation = 1;
        }
    }

    /** Predicts and completes the column's items until nothing is added; records what it allows. */
    private void close(int c) {
        byte f = 0;
        int open = 0;
        long hash = 0;
        for (int i = building; i < count; i++) {
            int p = place[i];
            int e = g.body[p];
            if (e == Grammar.END) {
                int o = origin[i];
                if (o == 0 && g.owner[p] == Grammar.ROOT) {
                    f |= ACCEPTS;
                }
                if (o != c) { // an empty completion was stepped over where its rule was predicted
                    int rule = g.owner[p];
                    for (int j = columnStart[o], end = columnStart[o + 1]; j < end; j++) {
                        if (g.body[place[j]] == rule) {
                            add(place[j] + 1, origin[j]);
                        }
                    }
                }
                continue;
            }
            open++;
            hash += mix((long) p << 32 | (origin[i] == c ? 0xFFFFFFFFL : origin[i])); // the sum: any order
            if (e >= 0) {
                predict(e, c);
                if (g.nullable[e]) {
                    add(p + 1, origin[i]);
                }
            } else {
                f |= CONTINUES;
            }
        }
        columnStart[c + 1] = count;
        flags[c] = f;
        waiting[c] = open;
        contents[c] = hash;
        loopLow[c] = 0;
        loopHigh[c] = 0;
        loopMatch[c] = 0;
        loopsAbove[c] = 0;
        columns = c + 1;
    }

    private void predict(int rule, int c) {
        if (predicted[rule] != generation) {
            predicted[rule] = generation;
            for (int start : g.alternatives[rule]) {
                add(start, c);
            }
        }
    }

    private void add(int p, int o) {
        long key = (long) p << 32 | o;
        int mask = keys.length - 1;
        int h = (int) mix(key) & mask;
        while (stamps[h] == generation) {
            if (keys[h] == key) {
                return;
            }
            h = h + 1 & mask;
        }
        stamps[h] = generation;
        keys[h] = key;
        if (count == place.length) {
            place = Arrays.copyOf(place, count * 2);
            origin = Arrays.copyOf(origin, count * 2);
        }
        place[count] = p;
        origin[count++] = o;
        if ((count - building) * 2 > keys.length) {
            rehash();
        }
    }

    private boolean contains(int p, int o) {
        long key = (long) p << 32 | o;
        int mask = keys.length - 1;
        for (int h = (int) mix(key) & mask; stamps[h] == generation; h = h + 1 & mask) {
            if (keys[h] == key) {
                return true;
            }
        }
        return false;
    }

    private void rehash() {
        keys = new long[keys.length * 2];
        stamps = new int[keys.length];
        int mask = keys.length - 1;
        for (int i = building; i < count; i++) {
            long key = (long) place[i] << 32 | origin[i];
            int h = (int) mix(key) & mask;
            while (stamps[h] == generation) {
                h = h + 1 & mask;
            }
            stamps[h] = generation;
            keys[h] = key;
        }
    }

    private static long mix(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return h ^ h >>> 29;
    }
}
