package dev.switchyard.engine.structured;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A regular expression a reply must match as a whole, as a nondeterministic automaton over code
 * points that is run as a set of states (never made deterministic, so its size stays that of the
 * pattern: a pattern like {@code (a|b)*a(a|b){25}}, whose deterministic automaton has 2^26 states,
 * costs 80 here).
 *
 * <p>The syntax is Python's {@code re} (what vLLM's {@code guided_regex} takes), less what cannot be
 * a finite automaton or depends on context: literals and {@code \}-escaped metacharacters;
 * {@code .} (any character but a newline); classes {@code [...]} with ranges, negation and the
 * escapes below; {@code \d \w \s} and {@code \D \W \S} (ASCII, as outlines and vLLM read them);
 * {@code \n \t \r \f \v}, {@code \x} with two hexadecimal digits and {@code \}{@code u} with
 * four; groups {@code (...)}, {@code (?:...)}, {@code (?P<name>...)}; {@code |}; {@code * + ?} and {@code {n} {n,} {n,m} {,m}}, lazy or not (the language is the same);
 * {@code ^} at the start and {@code $} at the end, which a whole match implies. Backreferences,
 * lookaround, word boundaries, inline flags and possessive quantifiers are refused with the place.
 */
public final class RegexPattern {

    /** States an automaton may have: bounds the work per byte and the memory per reply. */
    public static final int MAX_STATES = 2048;
    /** The longest pattern read. */
    public static final int MAX_LENGTH = 4000;
    private static final int MAX_CODE_POINT = 0x10FFFF;

    /** Per state: the ranges of code points its one edge takes (pairs, sorted), or null for none. */
    private final int[][] ranges;
    /** Per state: where its edge leads. */
    private final int[] target;
    /** Per state: the states reachable by empty moves, itself included, as a bit set. */
    private final long[][] closure;
    private final int accept;
    private final int start;
    private final int words;

    private RegexPattern(Builder b, int start, int accept) {
        int n = b.count;
        this.words = (n + 63) / 64;
        this.ranges = Arrays.copyOf(b.ranges.toArray(int[][]::new), n);
        this.target = b.target.stream().mapToInt(Integer::intValue).toArray();
        this.start = start;
        this.accept = accept;
        // an edge into a state from which no match can be reached is dropped, and so is an edge of no
        // characters (a class that excludes all): every state a set holds then has a way to a match
        boolean[] live = live(b, n, accept);
        for (int s = 0; s < n; s++) {
            if (ranges[s] != null && (ranges[s].length == 0 || !live[target[s]])) {
                ranges[s] = null;
            }
        }
        this.closure = new long[n][];
        int[] stack = new int[n];
        for (int s = 0; s < n; s++) {
            long[] c = new long[words];
            close(b, s, c, stack);
            for (int t = 0; t < n; t++) {
                if (!live[t]) {
                    c[t >>> 6] &= ~(1L << t);
                }
            }
            closure[s] = c;
        }
    }

    /** The states from which the accepting one can be reached (by empty moves or characters). */
    private static boolean[] live(Builder b, int n, int accept) {
        List<List<Integer>> into = new ArrayList<>();
        for (int s = 0; s < n; s++) {
            into.add(new ArrayList<>());
        }
        for (int s = 0; s < n; s++) {
            for (int t : b.empty.get(s)) {
                into.get(t).add(s);
            }
            int[] r = b.ranges.get(s);
            if (r != null && r.length > 0) {
                into.get(b.target.get(s)).add(s);
            }
        }
        boolean[] live = new boolean[n];
        int[] stack = new int[n];
        int top = 0;
        live[accept] = true;
        stack[top++] = accept;
        while (top > 0) {
            for (int from : into.get(stack[--top])) {
                if (!live[from]) {
                    live[from] = true;
                    stack[top++] = from;
                }
            }
        }
        return live;
    }

    private static void close(Builder b, int s, long[] set, int[] stack) {
        int top = 0;
        stack[top++] = s;
        set[s >>> 6] |= 1L << s;
        while (top > 0) {
            int at = stack[--top];
            for (int next : b.empty.get(at)) {
                if ((set[next >>> 6] & 1L << next) == 0) {
                    set[next >>> 6] |= 1L << next;
                    stack[top++] = next;
                }
            }
        }
    }

    /**
     * The automaton of {@code pattern}.
     *
     * @throws PatternException where the pattern is not one this reads, allows no text, or is too large
     */
    public static RegexPattern compile(String pattern) {
        if (pattern.length() > MAX_LENGTH) {
            throw new PatternException(pattern, 0, "longer than " + MAX_LENGTH + " characters");
        }
        Node tree = new Parser(pattern).whole();
        Builder b = new Builder(pattern);
        int[] f = b.build(tree);
        RegexPattern compiled = new RegexPattern(b, f[0], f[1]);
        long[] set = new long[compiled.words];
        compiled.start(set);
        if (!compiled.canContinue(set)) {
            throw new PatternException(pattern, 0, compiled.accepts(set) ? "it allows no text, so a reply could not begin"
                    : "nothing matches it");
        }
        return compiled;
    }

    /** Longs in a state set. */
    public int words() {
        return words;
    }

    /** The states before any character. */
    public void start(long[] set) {
        System.arraycopy(closure[start], 0, set, 0, words);
    }

    /**
     * The states after {@code codePoint} from {@code from}, into {@code to}; false when there are
     * none. Every state kept can still reach a match.
     */
    public boolean step(long[] from, int codePoint, long[] to) {
        Arrays.fill(to, 0, words, 0L);
        boolean any = false;
        for (int w = 0; w < words; w++) {
            long bits = from[w];
            while (bits != 0) {
                int s = (w << 6) + Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                int[] r = ranges[s];
                if (r != null && contains(r, codePoint, codePoint)) {
                    long[] c = closure[target[s]];
                    for (int i = 0; i < words; i++) {
                        to[i] |= c[i];
                    }
                    any = true;
                }
            }
        }
        return any;
    }

    /** Whether the text so far is a whole match. */
    public boolean accepts(long[] set) {
        return (set[accept >>> 6] & 1L << accept) != 0;
    }

    /** Whether some character may come next. */
    public boolean canContinue(long[] set) {
        return anyIn(set, 0, MAX_CODE_POINT);
    }

    /** Whether some code point in {@code [lo, hi]} may come next (a character whose UTF-8 has begun). */
    public boolean anyIn(long[] set, int lo, int hi) {
        for (int w = 0; w < words; w++) {
            long bits = set[w];
            while (bits != 0) {
                int s = (w << 6) + Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                if (ranges[s] != null && contains(ranges[s], lo, hi)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether {@code text} matches as a whole. */
    public boolean matches(String text) {
        long[] set = new long[words];
        long[] next = new long[words];
        start(set);
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (!step(set, cp, next)) {
                return false;
            }
            long[] t = set;
            set = next;
            next = t;
        }
        return accepts(set);
    }

    /** Whether the sorted ranges {@code r} hold any of {@code [lo, hi]}. */
    private static boolean contains(int[] r, int lo, int hi) {
        for (int i = 0; i < r.length; i += 2) {
            if (r[i] > hi) {
                return false;
            }
            if (r[i + 1] >= lo) {
                return true;
            }
        }
        return false;
    }

    // ---- the pattern as a tree ----------------------------------------------------------------

    private sealed interface Node {
    }

    private record Chars(int[] ranges) implements Node {
    }

    private record Concat(List<Node> parts) implements Node {
    }

    private record Alt(List<Node> choices) implements Node {
    }

    /** {@code node} at least {@code min} times and at most {@code max} (-1: no bound). */
    private record Repeat(Node node, int min, int max) implements Node {
    }

    private static final int[] DIGITS = {'0', '9'};
    private static final int[] WORD = {'0', '9', 'A', 'Z', '_', '_', 'a', 'z'};
    private static final int[] SPACE = {'\t', '\r', ' ', ' '};   // \t \n \v \f \r and space
    private static final int[] NEWLINE = {'\n', '\n'};

    private static final class Parser {
        private final String p;
        private int at;

        Parser(String p) {
            this.p = p;
        }

        Node whole() {
            if (p.startsWith("^")) {
                at = 1;
            }
            Node n = alt();
            if (at < p.length() && p.charAt(at) == '$' && at == p.length() - 1) {
                at++;
            }
            if (at < p.length()) {
                throw fail(p.charAt(at) == ')' ? "a ')' without its '('" : "'" + p.charAt(at) + "' here");
            }
            return n;
        }

        private PatternException fail(String what) {
            return new PatternException(p, at, what);
        }

        private boolean more() {
            return at < p.length();
        }

        private Node alt() {
            List<Node> choices = new ArrayList<>();
            choices.add(concat());
            while (more() && p.charAt(at) == '|') {
                at++;
                choices.add(concat());
            }
            return choices.size() == 1 ? choices.getFirst() : new Alt(choices);
        }

        private Node concat() {
            List<Node> parts = new ArrayList<>();
            while (more() && p.charAt(at) != '|' && p.charAt(at) != ')') {
                if (p.charAt(at) == '$' && at == p.length() - 1) {
                    break; // the end anchor: a whole match implies it
                }
                parts.add(repeat(atom()));
            }
            return parts.size() == 1 ? parts.getFirst() : new Concat(parts);
        }

        private Node repeat(Node atom) {
            Node n = atom;
            while (more()) {
                char c = p.charAt(at);
                int min;
                int max;
                if (c == '*' || c == '+' || c == '?') {
                    at++;
                    min = c == '+' ? 1 : 0;
                    max = c == '?' ? 1 : -1;
                } else if (c == '{' && counted()) {
                    int[] bounds = bounds();
                    min = bounds[0];
                    max = bounds[1];
                } else {
                    break;
                }
                if (more() && p.charAt(at) == '?') {
                    at++; // lazy: the same text matches, which is all a whole match asks
                } else if (more() && p.charAt(at) == '+') {
                    throw fail("a possessive quantifier");
                }
                n = new Repeat(n, min, max);
            }
            return n;
        }

        /** Whether a '{' here opens a count (as Python reads it; else it is a literal brace). */
        private boolean counted() {
            int close = p.indexOf('}', at);
            return close > at && p.substring(at + 1, close).matches("\\d*(,\\d*)?") && close > at + 1
                    && !p.substring(at + 1, close).equals(",");
        }

        private int[] bounds() {
            int close = p.indexOf('}', at);
            String body = p.substring(at + 1, close);
            at = close + 1;
            int comma = body.indexOf(',');
            try {
                int min = comma == 0 ? 0 : Integer.parseInt(comma < 0 ? body : body.substring(0, comma));
                int max = comma < 0 ? min : comma == body.length() - 1 ? -1 : Integer.parseInt(body.substring(comma + 1));
                if (max >= 0 && max < min || min > MAX_STATES || max > MAX_STATES) {
                    throw fail("the count {" + body + "}");
                }
                return new int[] {min, max};
            } catch (NumberFormatException e) {
                throw fail("the count {" + body + "}");
            }
        }

        private Node atom() {
            char c = p.charAt(at);
            switch (c) {
                case '(' -> {
                    int open = at++;
                    if (p.startsWith("?:", at)) {
                        at += 2;
                    } else if (p.startsWith("?P<", at) || p.startsWith("?<", at) && !p.startsWith("?<=", at)
                            && !p.startsWith("?<!", at)) {
                        int close = p.indexOf('>', at);
                        if (close < 0) {
                            throw fail("an unnamed group name");
                        }
                        at = close + 1;
                    } else if (p.startsWith("?", at)) {
                        String what = "'(?" + (at + 1 < p.length() ? p.charAt(at + 1) : "") + "'";
                        at = open;
                        throw fail(what + ": lookaround, backreferences and inline flags cannot be held to");
                    }
                    Node inner = alt();
                    if (!more() || p.charAt(at) != ')') {
                        throw fail("a '(' without its ')'");
                    }
                    at++;
                    return inner;
                }
                case '[' -> {
                    return new Chars(klass());
                }
                case '.' -> {
                    at++;
                    return new Chars(complement(NEWLINE));
                }
                case '\\' -> {
                    return new Chars(escape(false));
                }
                case '*', '+', '?' -> throw fail("'" + c + "' with nothing to repeat");
                case '^' -> throw fail("'^' inside the pattern (only at its start)");
                case '$' -> throw fail("'$' inside the pattern (only at its end)");
                default -> {
                    int cp = p.codePointAt(at);
                    at += Character.charCount(cp);
                    return new Chars(new int[] {cp, cp});
                }
            }
        }

        /** An escape at '\': its ranges; {@code inClass} refuses the complements, which a class cannot take. */
        private int[] escape(boolean inClass) {
            at++;
            if (!more()) {
                throw fail("a '\\' at the end");
            }
            char e = p.charAt(at++);
            return switch (e) {
                case 'd' -> DIGITS;
                case 'w' -> WORD;
                case 's' -> SPACE;
                case 'D', 'W', 'S' -> {
                    if (inClass) {
                        at -= 2;
                        throw fail("'\\" + e + "' inside a class");
                    }
                    yield complement(e == 'D' ? DIGITS : e == 'W' ? WORD : SPACE);
                }
                case 'n' -> single('\n');
                case 't' -> single('\t');
                case 'r' -> single('\r');
                case 'f' -> single('\f');
                case 'v' -> single(0x0B);
                case 'x' -> single(hex(2));
                case 'u' -> single(hex(4));
                case 'U' -> single(hex(8));
                default -> {
                    if (Character.isLetterOrDigit(e)) {
                        at -= 2;
                        throw fail("'\\" + e + "': backreferences, anchors and word boundaries cannot be held to");
                    }
                    yield single(e);
                }
            };
        }

        private int hex(int digits) {
            if (at + digits > p.length()) {
                throw fail("a short hexadecimal escape");
            }
            try {
                int cp = Integer.parseInt(p.substring(at, at + digits), 16);
                if (cp > MAX_CODE_POINT) {
                    throw fail("a code point past U+10FFFF");
                }
                at += digits;
                return cp;
            } catch (NumberFormatException ex) {
                throw fail("a hexadecimal escape");
            }
        }

        private int[] klass() {
            int open = at++;
            boolean negated = more() && p.charAt(at) == '^';
            if (negated) {
                at++;
            }
            List<int[]> parts = new ArrayList<>();
            boolean first = true;
            while (true) {
                if (!more()) {
                    at = open;
                    throw fail("a '[' without its ']'");
                }
                char c = p.charAt(at);
                if (c == ']' && !first) {
                    at++;
                    break;
                }
                first = false;
                int lo;
                if (c == '\\') {
                    int[] r = escape(true);
                    if (r.length != 2 || r[0] != r[1]) {
                        parts.add(r);
                        continue;
                    }
                    lo = r[0];
                } else {
                    lo = p.codePointAt(at);
                    at += Character.charCount(lo);
                }
                int hi = lo;
                if (at + 1 < p.length() && p.charAt(at) == '-' && p.charAt(at + 1) != ']') {
                    at++;
                    if (p.charAt(at) == '\\') {
                        int[] r = escape(true);
                        if (r.length != 2 || r[0] != r[1]) {
                            throw fail("a range ending in a class");
                        }
                        hi = r[0];
                    } else {
                        hi = p.codePointAt(at);
                        at += Character.charCount(hi);
                    }
                    if (hi < lo) {
                        throw fail("the range " + Character.toString(lo) + "-" + Character.toString(hi));
                    }
                }
                parts.add(new int[] {lo, hi});
            }
            int[] union = union(parts);
            return negated ? complement(union) : union;
        }
    }

    private static int[] single(int cp) {
        return new int[] {cp, cp};
    }

    /** The sorted, merged union of ranges. */
    private static int[] union(List<int[]> parts) {
        List<int[]> pairs = new ArrayList<>();
        for (int[] r : parts) {
            for (int i = 0; i < r.length; i += 2) {
                pairs.add(new int[] {r[i], r[i + 1]});
            }
        }
        pairs.sort((a, b) -> Integer.compare(a[0], b[0]));
        List<Integer> out = new ArrayList<>();
        for (int[] r : pairs) {
            int n = out.size();
            if (n > 0 && r[0] <= out.get(n - 1) + 1) {
                out.set(n - 1, Math.max(out.get(n - 1), r[1]));
            } else {
                out.add(r[0]);
                out.add(r[1]);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Every code point but those of the sorted ranges {@code r}. */
    private static int[] complement(int[] r) {
        List<Integer> out = new ArrayList<>();
        int next = 0;
        for (int i = 0; i < r.length; i += 2) {
            if (r[i] > next) {
                out.add(next);
                out.add(r[i] - 1);
            }
            next = r[i + 1] + 1;
        }
        if (next <= MAX_CODE_POINT) {
            out.add(next);
            out.add(MAX_CODE_POINT);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    // ---- the tree as an automaton (Thompson's construction) -------------------------------------

    private static final class Builder {
        private final String pattern;
        int count;
        final List<int[]> ranges = new ArrayList<>();
        final List<Integer> target = new ArrayList<>();
        final List<List<Integer>> empty = new ArrayList<>();

        Builder(String pattern) {
            this.pattern = pattern;
        }

        private int state() {
            if (count == MAX_STATES) {
                throw new PatternException(pattern, 0, "too large to hold replies to (more than " + MAX_STATES
                        + " states; repeat less)");
            }
            ranges.add(null);
            target.add(-1);
            empty.add(new ArrayList<>());
            return count++;
        }

        private void emptyMove(int from, int to) {
            empty.get(from).add(to);
        }

        /** A fragment for {@code n}: its entry and exit states. */
        int[] build(Node n) {
            return switch (n) {
                case Chars c -> {
                    int in = state();
                    int out = state();
                    ranges.set(in, c.ranges());
                    target.set(in, out);
                    yield new int[] {in, out};
                }
                case Concat c -> {
                    int in = state();
                    int at = in;
                    for (Node part : c.parts()) {
                        int[] f = build(part);
                        emptyMove(at, f[0]);
                        at = f[1];
                    }
                    yield new int[] {in, at};
                }
                case Alt a -> {
                    int in = state();
                    int out = state();
                    for (Node choice : a.choices()) {
                        int[] f = build(choice);
                        emptyMove(in, f[0]);
                        emptyMove(f[1], out);
                    }
                    yield new int[] {in, out};
                }
                case Repeat r -> {
                    int in = state();
                    int at = in;
                    for (int i = 0; i < r.min(); i++) {
                        int[] f = build(r.node());
                        emptyMove(at, f[0]);
                        at = f[1];
                    }
                    int out = state();
                    if (r.max() < 0) {
                        int[] f = build(r.node());
                        emptyMove(at, f[0]);
                        emptyMove(f[1], f[0]);
                        emptyMove(f[1], out);
                        emptyMove(at, out);
                    } else {
                        for (int i = r.min(); i < r.max(); i++) {
                            int[] f = build(r.node());
                            emptyMove(at, out);
                            emptyMove(at, f[0]);
                            at = f[1];
                        }
                        emptyMove(at, out);
                    }
                    yield new int[] {in, out};
                }
            };
        }
    }
}
