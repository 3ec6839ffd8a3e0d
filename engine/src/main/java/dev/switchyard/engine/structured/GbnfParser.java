package dev.switchyard.engine.structured;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a grammar in GBNF, llama.cpp's notation (which vLLM's and XGrammar's EBNF share): rules
 * {@code name ::= alternatives}, alternatives apart with {@code |}, each a sequence of
 * {@code "literals"}, classes {@code [a-z]} and {@code [^...]}, {@code .} (any character), rule
 * names and {@code (groups)}, each followed by any of {@code * + ?} and {@code {n} {n,} {n,m} {,m}};
 * {@code #} comments to the end of the line. Escapes in literals and classes: {@code \n \r \t \f \v
 * \0}, {@code \x} with two hexadecimal digits, {@code \}{@code u} with four, {@code \U} with eight,
 * and a backslash before any of {@code \ " ' [ ] - ^ /}. A rule runs on across lines until the next
 * {@code name ::=}.
 *
 * <p>Repetitions become rules of their own: {@code x*} is {@code r ::= r x |} (left recursion, so
 * that a long run costs the parser nothing more per character), a bounded one its copies of
 * {@code x} then nested optional ones.
 */
final class GbnfParser {

    /** The most a bounded repetition may count to. */
    static final int MAX_REPEAT = 10_000;
    /** The longest grammar read. */
    static final int MAX_LENGTH = 1 << 17;
    private static final int MAX_CODE_POINT = 0x10FFFF;
    private static final int MAX_NESTING = 200;

    private final String text;
    private final GrammarRules rules = new GrammarRules();
    private int pos;
    private int depth;

    private GbnfParser(String text) {
        this.text = text;
    }

    static GrammarRules parse(String text) {
        if (text.length() > MAX_LENGTH) {
            throw new GrammarException("it is " + text.length() + " characters long, more than the " + MAX_LENGTH
                    + " read");
        }
        GbnfParser p = new GbnfParser(text);
        p.grammar();
        return p.rules;
    }

    private void grammar() {
        skipBlank();
        if (pos == text.length()) {
            throw new GrammarException("it has no rules");
        }
        while (pos < text.length()) {
            int at = pos;
            String name = name();
            if (name == null) {
                throw error(pos, "expected a rule's name");
            }
            skipBlank();
            if (!text.startsWith("::=", pos)) {
                throw error(pos, "expected ::= after the rule's name '" + name + "'");
            }
            pos += 3;
            int rule = rules.named(name, at);
            if (!rules.define(rule, at)) {
                throw error(at, "the rule '" + name + "' is defined twice");
            }
            alternatives(rule, false);
            skipBlank();
        }
    }

    private void alternatives(int rule, boolean nested) {
        add(rule, sequence(nested));
        while (pos < text.length() && text.charAt(pos) == '|') {
            pos++;
            add(rule, sequence(nested));
        }
    }

    private int[] sequence(boolean nested) {
        List<Integer> out = new ArrayList<>();
        while (true) {
            skipBlank();
            if (pos == text.length() || text.charAt(pos) == '|' || text.charAt(pos) == ')' || !nested && startsRule()) {
                break;
            }
            int at = pos;
            int[] item = primary();
            skipBlank();
            while (pos < text.length() && "*+?{".indexOf(text.charAt(pos)) >= 0) {
                item = repetition(item, at);
                skipBlank();
            }
            for (int e : item) {
                out.add(e);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The elements of one literal, class, any-character, group or rule name. */
    private int[] primary() {
        int at = pos;
        char c = text.charAt(pos);
        switch (c) {
            case '"' -> {
                return literal();
            }
            case '[' -> {
                return new int[] {rules.terminal(charClass())};
            }
            case '.' -> {
                pos++;
                return new int[] {rules.terminal(new int[] {0, MAX_CODE_POINT})};
            }
            case '(' -> {
                if (++depth > MAX_NESTING) {
                    throw error(at, "groups are nested more than " + MAX_NESTING + " deep");
                }
                pos++;
                int group = rules.anonymous(at);
                alternatives(group, true);
                skipBlank();
                if (pos == text.length() || text.charAt(pos) != ')') {
                    throw error(at, "the group is never closed with )");
                }
                pos++;
                depth--;
                return new int[] {group};
            }
            case '<' -> throw error(at, "token references such as <...> are not supported: write the text the token "
                    + "spells");
            default -> {
                String name = name();
                if (name == null) {
                    throw error(at, "expected a rule's name, a \"literal\", a [class], . or a (group)");
                }
                return new int[] {rules.named(name, at)};
            }
        }
    }

    private int[] literal() {
        int start = pos++;
        List<Integer> out = new ArrayList<>();
        while (true) {
            if (pos == text.length()) {
                throw error(start, "the literal is never closed with \"");
            }
            if (text.charAt(pos) == '"') {
                pos++;
                break;
            }
            int cp = character();
            out.add(rules.terminal(new int[] {cp, cp}));
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A class's ranges, sorted and apart (the complement's for {@code [^...]}). */
    private int[] charClass() {
        int start = pos++;
        boolean negated = pos < text.length() && text.charAt(pos) == '^';
        if (negated) {
            pos++;
        }
        List<int[]> ranges = new ArrayList<>();
        while (true) {
            if (pos == text.length()) {
                throw error(start, "the class is never closed with ]");
            }
            if (text.charAt(pos) == ']') {
                pos++;
                break;
            }
            int at = pos;
            int lo = character();
            int hi = lo;
            if (pos + 1 < text.length() && text.charAt(pos) == '-' && text.charAt(pos + 1) != ']') {
                pos++;
                hi = character();
                if (hi < lo) {
                    throw error(at, "the range's end comes before its start");
                }
            }
            ranges.add(new int[] {lo, hi});
        }
        if (ranges.isEmpty()) {
            throw error(start, "the class is empty: it matches nothing");
        }
        int[] merged = merge(ranges);
        if (negated && merged.length == 2 && merged[0] == 0 && merged[1] == MAX_CODE_POINT) {
            throw error(start, "the class excludes every character: it matches nothing");
        }
        return negated ? complement(merged) : merged;
    }

    private static int[] merge(List<int[]> ranges) {
        ranges.sort((a, b) -> Integer.compare(a[0], b[0]));
        int[] out = new int[ranges.size() * 2];
        int n = 0;
        for (int[] r : ranges) {
            if (n > 0 && r[0] <= out[n - 1] + 1) {
                out[n - 1] = Math.max(out[n - 1], r[1]);
            } else {
                out[n++] = r[0];
                out[n++] = r[1];
            }
        }
        return Arrays.copyOf(out, n);
    }

    private static int[] complement(int[] ranges) {
        int[] out = new int[ranges.length + 2];
        int n = 0;
        int next = 0;
        for (int i = 0; i < ranges.length; i += 2) {
            if (ranges[i] > next) {
                out[n++] = next;
                out[n++] = ranges[i] - 1;
            }
            next = ranges[i + 1] + 1;
        }
        if (next <= MAX_CODE_POINT) {
            out[n++] = next;
            out[n++] = MAX_CODE_POINT;
        }
        return Arrays.copyOf(out, n);
    }

    /** One character of a literal or class, an escape read. */
    private int character() {
        int at = pos;
        int cp = text.codePointAt(pos);
        pos += Character.charCount(cp);
        if (cp != '\\') {
            return cp;
        }
        if (pos == text.length()) {
            throw error(at, "the escape is cut short");
        }
        char e = text.charAt(pos++);
        return switch (e) {
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            case 'f' -> '\f';
            case 'v' -> 0x0B;
            case '0' -> 0;
            case 'x' -> hex(at, 2);
            case 'u' -> hex(at, 4);
            case 'U' -> hex(at, 8);
            case '\\', '"', '\'', '[', ']', '-', '^', '/' -> e;
            default -> throw error(at, "unknown escape \\" + e);
        };
    }

    private int hex(int at, int digits) {
        if (pos + digits > text.length()) {
            throw error(at, "the escape needs " + digits + " hexadecimal digits");
        }
        int value = 0;
        for (int i = 0; i < digits; i++) {
            int d = Character.digit(text.charAt(pos++), 16);
            if (d < 0) {
                throw error(at, "the escape needs " + digits + " hexadecimal digits");
            }
            value = value << 4 | d;
        }
        if (value > MAX_CODE_POINT || value >= 0xD800 && value <= 0xDFFF) {
            throw error(at, "the escape is not a character (U+" + Integer.toHexString(value).toUpperCase() + ")");
        }
        return value;
    }

    /** {@code item} repeated as the operator at {@code pos} says. */
    private int[] repetition(int[] item, int at) {
        char op = text.charAt(pos);
        int min;
        int max;
        if (op == '{') {
            int open = pos++;
            skipSpaces();
            min = number(open, 0);
            skipSpaces();
            max = min;
            if (pos < text.length() && text.charAt(pos) == ',') {
                pos++;
                skipSpaces();
                max = pos < text.length() && Character.isDigit(text.charAt(pos)) ? number(open, -1) : -1;
                skipSpaces();
            }
            if (pos == text.length() || text.charAt(pos) != '}') {
                throw error(open, "expected a count {n}, {n,}, {n,m} or {,m}");
            }
            pos++;
            if (max >= 0 && max < min) {
                throw error(open, "the repetition's most is less than its least");
            }
            if (max > MAX_REPEAT || min > MAX_REPEAT) {
                throw error(open, "a repetition counts to at most " + MAX_REPEAT);
            }
        } else {
            pos++;
            min = op == '+' ? 1 : 0;
            max = op == '?' ? 1 : -1;
        }
        int x = item.length == 1 ? item[0] : wrap(item, at);
        int[] out = new int[min + (max == min ? 0 : 1)];
        Arrays.fill(out, 0, min, x);
        if (max < 0) {
            int run = rules.anonymous(at);
            add(run, new int[] {run, x});
            add(run, new int[0]);
            out[min] = run;
        } else if (max > min) {
            int inner = -1;
            for (int k = 0; k < max - min; k++) {
                int optional = rules.anonymous(at);
                add(optional, inner < 0 ? new int[] {x} : new int[] {x, inner});
                add(optional, new int[0]);
                inner = optional;
            }
            out[min] = inner;
        }
        return out;
    }

    private int number(int open, int none) {
        int start = pos;
        while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
            pos++;
        }
        if (pos == start) {
            if (none >= 0) {
                return none;
            }
            throw error(open, "expected a count {n}, {n,}, {n,m} or {,m}");
        }
        if (pos - start > 6) {
            throw error(open, "a repetition counts to at most " + MAX_REPEAT);
        }
        return Integer.parseInt(text.substring(start, pos));
    }

    /** A sequence as one element: a rule of its own. */
    private int wrap(int[] sequence, int at) {
        int rule = rules.anonymous(at);
        add(rule, sequence);
        return rule;
    }

    private void add(int rule, int[] sequence) {
        if (!rules.add(rule, sequence)) {
            throw new GrammarException("it has more than " + GrammarRules.MAX_ELEMENTS + " elements once its "
                    + "repetitions are spelled out");
        }
    }

    private String name() {
        int start = pos;
        while (pos < text.length() && isNameChar(text.charAt(pos))) {
            pos++;
        }
        return pos == start ? null : text.substring(start, pos);
    }

    private static boolean isNameChar(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_';
    }

    /** Whether a rule's definition starts here: a name, then {@code ::=}. */
    private boolean startsRule() {
        int saved = pos;
        boolean starts = name() != null;
        if (starts) {
            skipBlank();
            starts = text.startsWith("::=", pos);
        }
        pos = saved;
        return starts;
    }

    /** Blanks, line ends and comments. */
    private void skipBlank() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '#') {
                while (pos < text.length() && text.charAt(pos) != '\n') {
                    pos++;
                }
            } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                pos++;
            } else {
                return;
            }
        }
    }

    private void skipSpaces() {
        while (pos < text.length() && text.charAt(pos) == ' ') {
            pos++;
        }
    }

    private GrammarException error(int at, String what) {
        return new GrammarException(text, at, what);
    }
}
