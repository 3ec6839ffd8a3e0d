package dev.switchyard.engine.structured;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A context-free grammar a reply must be a whole sentence of (its rule {@code root}), read from
 * GBNF ({@link GbnfParser}) and held by an Earley parser over code points ({@link EarleyChart}),
 * which takes any context-free grammar, left-recursive and ambiguous ones too.
 *
 * <p>Checked and trimmed when compiled, so that every text the parser lets through can still be
 * finished: a name used but not defined, a missing {@code root}, or a root that can never be
 * finished or matches only the empty text is refused; an alternative that can never be finished (it
 * needs a rule that recurses forever) is dropped, as are rules that root cannot reach.
 *
 * <p>Flattened for the parser: every alternative's elements lie in one array, each followed by an
 * end marker, so that an Earley item is two ints, the place of its dot and the column it began in.
 * Immutable; one grammar serves any number of replies.
 */
public final class Grammar {

    /** The place after an alternative's last element. */
    static final int END = Integer.MIN_VALUE;

    /** Per place: a rule's number ({@code >= 0}), {@code -1 - c} for class {@code c}, or {@link #END}. */
    final int[] body;
    /** Per place: the rule its alternative belongs to. */
    final int[] owner;
    /** Per rule: where each of its alternatives begins. */
    final int[][] alternatives;
    /** Per rule: whether it can match the empty text. */
    final boolean[] nullable;
    /** Per class: code point ranges, pairs, sorted and apart; and its ASCII members as two bit sets. */
    private final int[][] classes;
    private final long[] asciiLow;
    private final long[] asciiHigh;
    /** Per class: whether it holds every code point past ASCII (1), none of them (0), or some (-1). */
    private final byte[] aboveAscii;
    /** The root rule's number: always 0. */
    static final int ROOT = 0;
    private static final int MAX_CODE_POINT = 0x10FFFF;

    private Grammar(int[] body, int[] owner, int[][] alternatives, boolean[] nullable, int[][] classes) {
        this.body = body;
        this.owner = owner;
        this.alternatives = alternatives;
        this.nullable = nullable;
        this.classes = classes;
        this.asciiLow = new long[classes.length];
        this.asciiHigh = new long[classes.length];
        this.aboveAscii = new byte[classes.length];
        for (int c = 0; c < classes.length; c++) {
            aboveAscii[c] = (byte) (holdsAny(c, 0x80, MAX_CODE_POINT) ? holdsAll(c, 0x80, 0xD7FF)
                    && holdsAll(c, 0xE000, MAX_CODE_POINT) ? 1 : -1 : 0);
            int[] r = classes[c];
            for (int i = 0; i < r.length && r[i] < 128; i += 2) {
                for (int cp = r[i]; cp <= Math.min(127, r[i + 1]); cp++) {
                    if (cp < 64) {
                        asciiLow[c] |= 1L << cp;
                    } else {
                        asciiHigh[c] |= 1L << cp - 64;
                    }
                }
            }
        }
    }

    /** Reads and checks a GBNF grammar; what cannot hold replies is refused, with the place. */
    public static Grammar compile(String gbnf) {
        return of(GbnfParser.parse(gbnf), gbnf);
    }

    /** Places in all alternatives together, ends included: what the parser's work per character is bounded by. */
    public int size() {
        return body.length;
    }

    /** Whether class {@code c} holds code point {@code cp}. */
    boolean holds(int c, int cp) {
        if (cp < 64) {
            return (asciiLow[c] >>> cp & 1) != 0;
        }
        if (cp < 128) {
            return (asciiHigh[c] >>> cp - 64 & 1) != 0;
        }
        int[] r = classes[c];
        int lo = 0;
        int hi = r.length / 2 - 1;
        while (lo <= hi) {
            int mid = lo + hi >>> 1;
            if (cp < r[2 * mid]) {
                hi = mid - 1;
            } else if (cp > r[2 * mid + 1]) {
                lo = mid + 1;
            } else {
                return true;
            }
        }
        return false;
    }

    /** Whether class {@code c} holds every code point past ASCII (1), none of them (0), or some (-1). */
    int aboveAscii(int c) {
        return aboveAscii[c];
    }

    private boolean holdsAll(int c, int lo, int hi) {
        int[] r = classes[c];
        for (int i = 0; i < r.length; i += 2) {
            if (r[i] <= lo && r[i + 1] >= hi) {
                return true; // ranges are apart, so one range holds it all or none does
            }
        }
        return false;
    }

    /** Whether class {@code c} holds some code point of {@code [lo, hi]}. */
    boolean holdsAny(int c, int lo, int hi) {
        int[] r = classes[c];
        for (int i = 0; i < r.length && r[i] <= hi; i += 2) {
            if (r[i + 1] >= lo) {
                return true;
            }
        }
        return false;
    }

    private static Grammar of(GrammarRules rules, String text) {
        int n = rules.size();
        for (int r = 0; r < n; r++) {
            if (rules.definedAt.get(r) < 0 && rules.names.get(r) != null) {
                throw new GrammarException(text, rules.firstUse.get(r), "the rule '" + rules.names.get(r)
                        + "' is used but never defined");
            }
        }
        Integer root = rules.find("root");
        if (root == null || rules.definedAt.get(root) < 0) {
            throw new GrammarException("it defines no rule 'root' (a reply is a whole root)");
        }
        boolean[] finishable = finishable(rules);
        if (!finishable[root]) {
            throw new GrammarException(text, rules.definedAt.get(root), "root can never be finished: every way "
                    + "through it needs a rule that recurses forever");
        }
        // rules root reaches through alternatives that can be finished, root first
        int[] number = new int[n];
        Arrays.fill(number, -1);
        List<Integer> order = new ArrayList<>();
        number[root] = 0;
        order.add(root);
        for (int i = 0; i < order.size(); i++) {
            for (int[] alt : rules.alternatives.get(order.get(i))) {
                if (canFinish(alt, finishable)) {
                    for (int e : alt) {
                        if (e >= 0 && number[e] < 0) {
                            number[e] = order.size();
                            order.add(e);
                        }
                    }
                }
            }
        }
        int places = 0;
        for (int r : order) {
            for (int[] alt : rules.alternatives.get(r)) {
                places += canFinish(alt, finishable) ? alt.length + 1 : 0;
            }
        }
        int[] body = new int[places];
        int[] owner = new int[places];
        int[][] alternatives = new int[order.size()][];
        int at = 0;
        for (int k = 0; k < order.size(); k++) {
            List<Integer> starts = new ArrayList<>();
            for (int[] alt : rules.alternatives.get(order.get(k))) {
                if (!canFinish(alt, finishable)) {
                    continue;
                }
                starts.add(at);
                for (int e : alt) {
                    owner[at] = k;
                    body[at++] = e >= 0 ? number[e] : e;
                }
                owner[at] = k;
                body[at++] = END;
            }
            alternatives[k] = starts.stream().mapToInt(Integer::intValue).toArray();
        }
        int[][] classes = rules.classes.toArray(int[][]::new);
        boolean[] nullable = nullable(body, alternatives);
        if (!writesSomething(body, alternatives)) {
            throw new GrammarException(text, rules.definedAt.get(root), "root matches only the empty text");
        }
        return new Grammar(body, owner, alternatives, nullable, classes);
    }

    /** Per rule: whether some text finishes it (a fixed point: rules that recurse forever never do). */
    private static boolean[] finishable(GrammarRules rules) {
        boolean[] done = new boolean[rules.size()];
        for (boolean changed = true; changed; ) {
            changed = false;
            for (int r = 0; r < done.length; r++) {
                if (!done[r]) {
                    for (int[] alt : rules.alternatives.get(r)) {
                        if (canFinish(alt, done)) {
                            done[r] = true;
                            changed = true;
                            break;
                        }
                    }
                }
            }
        }
        return done;
    }

    private static boolean canFinish(int[] alt, boolean[] finishable) {
        for (int e : alt) {
            if (e >= 0 && !finishable[e]) {
                return false;
            }
        }
        return true;
    }

    /** Per rule: whether it can match the empty text (each element of some alternative can). */
    private static boolean[] nullable(int[] body, int[][] alternatives) {
        return fixpoint(alternatives, (start, nullable) -> {
            int p = start;
            while (body[p] != END && body[p] >= 0 && nullable[body[p]]) {
                p++;
            }
            return body[p] == END;
        });
    }

    /** Whether root (rule 0) matches some text that is not empty. */
    private static boolean writesSomething(int[] body, int[][] alternatives) {
        return fixpoint(alternatives, (start, writes) -> {
            for (int p = start; body[p] != END; p++) {
                if (body[p] < 0 || writes[body[p]]) {
                    return true;
                }
            }
            return false;
        })[ROOT];
    }

    /** Whether the alternative starting at {@code start} holds, given the rules known to hold so far. */
    private interface AlternativeHolds {
        boolean test(int start, boolean[] rules);
    }

    /** The least set of rules with an alternative that {@code holds}, grown until it stops growing. */
    private static boolean[] fixpoint(int[][] alternatives, AlternativeHolds holds) {
        boolean[] rules = new boolean[alternatives.length];
        for (boolean changed = true; changed; ) {
            changed = false;
            for (int r = 0; r < alternatives.length; r++) {
                for (int i = 0; i < alternatives[r].length && !rules[r]; i++) {
                    if (holds.test(alternatives[r][i], rules)) {
                        rules[r] = true;
                        changed = true;
                    }
                }
            }
        }
        return rules;
    }
}
