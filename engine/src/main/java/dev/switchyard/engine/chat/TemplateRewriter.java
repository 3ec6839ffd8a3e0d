package dev.switchyard.engine.chat;

import dev.switchyard.engine.chat.TemplatePieces.Kind;
import dev.switchyard.engine.chat.TemplatePieces.Piece;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites jinja2 constructs that jinjava parses differently, or not at all, into equivalents it
 * renders the way jinja2 does. Each rewrite works on tag bodies with string literals masked, so
 * text that only looks like code inside a literal is never touched:
 *
 * <ul>
 *   <li>{@code xs[::-1]} becomes {@code xs|reverse} (jinjava has no extended slices).
 *   <li>{@code namespace(a=x|length - 1)}: each keyword value is parenthesized (jinjava applies
 *       the filter to {@code x} and then fails to coerce the keyword).
 *   <li>{@code {% for x in xs if cond %}} (a filtered loop, which jinjava ignores the filter of)
 *       becomes a loop that collects the items passing {@code cond} followed by a loop over them,
 *       so {@code loop.index}, {@code loop.first}, {@code loop.last} and {@code loop.length} count
 *       the filtered items exactly as in jinja2.
 *   <li>{@code loop.previtem} and {@code loop.nextitem}, which jinjava's loop lacks, become
 *       index look-ups into the loop's sequence, bound to a variable before the loop.
 *   <li>{@code {% generation %}...{% endgeneration %}} (Hugging Face's assistant-mask marker)
 *       renders its body, through an always-true {@code if} that keeps the tags' whitespace
 *       behaviour.
 *   <li>One trailing newline of the template is dropped, as jinja2 does without
 *       {@code keep_trailing_newline}.
 * </ul>
 */
final class TemplateRewriter {

    private static final Pattern FOR_HEADER = Pattern.compile("^(\\s*)for\\s+(.+?)\\s+in\\s+(.+?)\\s*$", Pattern.DOTALL);
    private static final Pattern LOOP_NEIGHBOUR = Pattern.compile("\\bloop\\s*\\.\\s*(previtem|nextitem)\\b");
    private static final Pattern NAMESPACE_CALL = Pattern.compile("\\bnamespace\\s*\\(");
    private static final Pattern KEYWORD_ARG = Pattern.compile("^(\\s*[A-Za-z_][A-Za-z0-9_]*\\s*=)(?!=)(.*)$", Pattern.DOTALL);
    private static final Pattern TUPLE_TARGET = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\s*,\\s*[A-Za-z_][A-Za-z0-9_]*)+");
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private TemplateRewriter() {}

    static String rewrite(String template) {
        List<Piece> pieces = applyWhitespaceControl(TemplatePieces.split(normalizeNewlines(template)));
        List<Piece> out = new ArrayList<>(pieces.size());
        Deque<LoopFrame> loops = new ArrayDeque<>();
        int loopCount = 0;
        for (Piece piece : pieces) {
            if (piece.kind() != Kind.EXPRESSION && piece.kind() != Kind.STATEMENT) {
                out.add(piece);
                continue;
            }
            String body = reverseSlices(piece.body());
            body = parenthesizeNamespaceArguments(body);
            body = parenthesizeNotOperands(body);
            body = spaceBinaryPlus(body);
            Piece rewritten = piece.withBody(body);
            String keyword = rewritten.keyword();
            if (keyword.equals("for")) {
                // The header's own expressions refer to an enclosing loop, if any.
                rewritten = rewritten.withBody(neighbourLookups(rewritten.body(), loops.peek()));
                LoopFrame frame = new LoopFrame(out.size(), "__sy_items_" + loopCount++, rewritten);
                loops.push(frame);
                out.add(rewritten);
                continue;
            }
            if (keyword.equals("endfor") && !loops.isEmpty()) {
                // Nested loops closed before this one, so only later pieces shift.
                LoopFrame frame = loops.pop();
                List<Piece> header = rewriteLoopHeader(frame.header, frame);
                out.remove(frame.headerPosition);
                out.addAll(frame.headerPosition, header);
                out.add(rewritten);
                continue;
            }
            if (keyword.equals("generation")) {
                out.add(rewritten.withBody(" if true "));
                continue;
            }
            if (keyword.equals("endgeneration")) {
                out.add(rewritten.withBody(" endif "));
                continue;
            }
            out.add(rewritten.withBody(neighbourLookups(rewritten.body(), loops.peek())));
        }
        return joinGuarded(out);
    }

    /**
     * Joins the pieces, writing a text's {@code {} as {@code {{ '{' }}} wherever it would
     * otherwise open a tag: where stripped whitespace or a dropped comment brought it next to a
     * tag or to a {@code {}, {@code %} or {@code #} ({@code "results": {{% for ...}).
     */
    private static String joinGuarded(List<Piece> pieces) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < pieces.size(); i++) {
            Piece p = pieces.get(i);
            if (p.kind() != Kind.TEXT) {
                sb.append(p.text());
                continue;
            }
            StringBuilder text = new StringBuilder(p.body());
            // Adjacent texts (around a dropped comment) are one text for this purpose.
            while (i + 1 < pieces.size() && pieces.get(i + 1).kind() == Kind.TEXT) {
                text.append(pieces.get(++i).body());
            }
            boolean tagFollows = i + 1 < pieces.size();
            for (int j = 0; j < text.length(); j++) {
                char c = text.charAt(j);
                boolean opens = c == '{' && (j + 1 < text.length() ? "{%#".indexOf(text.charAt(j + 1)) >= 0 : tagFollows);
                sb.append(opens ? "{{ '{' }}" : String.valueOf(c));
            }
        }
        return sb.toString();
    }

    /**
     * Line breaks as jinja2's lexer leaves them: every line break Python's {@code splitlines}
     * knows becomes {@code \n}, and the template loses one trailing newline (jinja2 without
     * {@code keep_trailing_newline}).
     */
    static String normalizeNewlines(String template) {
        return String.join("\n", PythonStrings.splitlines(template));
    }

    /**
     * Applies jinja2's whitespace control, as its lexer does with {@code trim_blocks} and
     * {@code lstrip_blocks} on, to the text pieces, and returns the pieces with every tag's
     * markers removed and comments dropped, for jinjava to render with its own whitespace
     * handling off. (jinjava's differs: it strips before a tag that does not start its line,
     * lets {@code -%}} reach past a comment, ignores {@code -#}}.) The rules:
     * <ul>
     *   <li>{@code {%-}, {@code {{-}, {@code {#-}: strip all whitespace before the tag.
     *   <li>{@code -%}}, {@code -}}}, {@code -#}}: strip all whitespace after the tag.
     *   <li>lstrip_blocks, for {@code {%} and {@code {#} without a marker: strip the spaces and
     *       tabs before the tag when only they stand between it and the start of its line.
     *   <li>trim_blocks, for {@code %}} and {@code #}} without a marker: drop one newline right
     *       after the tag.
     *   <li>{@code +} on either side turns the block rule of that side off.
     * </ul>
     */
    static List<Piece> applyWhitespaceControl(List<Piece> pieces) {
        List<Piece> in = new ArrayList<>(pieces);
        List<Piece> out = new ArrayList<>(in.size());
        boolean lineStarting = true; // whether the text piece before the current tag starts a line
        for (int i = 0; i < in.size(); i++) {
            Piece piece = in.get(i);
            if (piece.kind() == Kind.TEXT || piece.kind() == Kind.RAW) {
                out.add(piece);
                continue;
            }
            boolean block = piece.kind() != Kind.EXPRESSION;
            char left = piece.open().length() > 2 ? piece.open().charAt(2) : ' ';
            char right = piece.close().length() > 2 ? piece.close().charAt(0) : ' ';
            if (!out.isEmpty() && out.getLast().kind() == Kind.TEXT) {
                String text = out.getLast().body();
                if (left == '-') {
                    text = PythonStrings.strip(text, null, false, true);
                } else if (block && left != '+') {
                    int lineStart = text.lastIndexOf('\n') + 1;
                    boolean onlyBlanks = text.substring(lineStart).chars().allMatch(c -> c == ' ' || c == '\t');
                    if (onlyBlanks && (lineStart > 0 || lineStarting)) {
                        text = text.substring(0, lineStart);
                    }
                }
                out.set(out.size() - 1, Piece.text(text));
            }
            if (piece.kind() != Kind.COMMENT) {
                out.add(new Piece(piece.kind(), piece.open().substring(0, 2), piece.body(),
                        piece.close().substring(piece.close().length() - 2)));
            }
            lineStarting = false;
            if (i + 1 < in.size() && in.get(i + 1).kind() == Kind.TEXT) {
                String next = in.get(i + 1).body();
                if (right == '-') {
                    String stripped = PythonStrings.strip(next, null, true, false);
                    lineStarting = next.substring(0, next.length() - stripped.length()).endsWith("\n");
                    next = stripped;
                } else if (block && right != '+' && next.startsWith("\n")) {
                    next = next.substring(1);
                    lineStarting = true;
                }
                in.set(i + 1, Piece.text(next));
            }
        }
        return out;
    }
    /** A {@code for} being rewritten: where its header sits in the output and what it needs. */
    private static final class LoopFrame {
        final int headerPosition;
        final String itemsVariable;
        final Piece header;
        boolean needsItems;

        LoopFrame(int headerPosition, String itemsVariable, Piece header) {
            this.headerPosition = headerPosition;
            this.itemsVariable = itemsVariable;
            this.header = header;
        }
    }

    private static void dropTrailingNewline(List<Piece> pieces) {
        if (pieces.isEmpty()) {
            return;
        }
        Piece last = pieces.getLast();
        if (last.kind() == Kind.TEXT && last.body().endsWith("\n")) {
            String body = last.body();
            int cut = body.endsWith("\r\n") ? 2 : 1;
            pieces.set(pieces.size() - 1, last.withBody(body.substring(0, body.length() - cut)));
        }
    }

    /**
     * The pieces that replace a loop's header: the header itself, or, for a filtered loop or one
     * that reads {@code loop.previtem}/{@code loop.nextitem}, a binding of the loop's items
     * followed by a loop over that binding.
     */
    private static List<Piece> rewriteLoopHeader(Piece header, LoopFrame frame) {
        String masked = mask(header.body());
        Matcher m = FOR_HEADER.matcher(masked);
        if (!m.matches() || masked.strip().endsWith(" recursive")) {
            return List.of(header);
        }
        String target = header.body().substring(m.start(2), m.end(2)).strip();
        String iterable = header.body().substring(m.start(3), m.end(3));
        int filterAt = topLevelKeyword(mask(iterable), "if");
        if (filterAt < 0 && !frame.needsItems) {
            return List.of(header);
        }
        String items = frame.itemsVariable;
        List<Piece> result = new ArrayList<>();
        if (filterAt >= 0) {
            String item;
            if (IDENTIFIER.matcher(target).matches()) {
                item = target;
            } else if (TUPLE_TARGET.matcher(target).matches()) {
                item = "[" + target + "]"; // re-packed; jinjava's for unpacks a list
            } else {
                return List.of(header);
            }
            String source = iterable.substring(0, filterAt).strip();
            String condition = iterable.substring(filterAt + 2).strip();
            result.add(new Piece(Kind.STATEMENT, header.open(), " set " + items + " = [] ", "%}"));
            result.add(new Piece(Kind.STATEMENT, "{%", " for " + target + " in " + source + " ", "%}"));
            result.add(new Piece(Kind.STATEMENT, "{%", " if " + condition + " ", "%}"));
            result.add(new Piece(Kind.STATEMENT, "{%", " do " + items + ".append(" + item + ") ", "%}"));
            result.add(new Piece(Kind.STATEMENT, "{%", " endif ", "%}"));
            result.add(new Piece(Kind.STATEMENT, "{%", " endfor ", "%}"));
        } else {
            result.add(new Piece(Kind.STATEMENT, header.open(), " set " + items + " = " + iterable.strip() + "|list ", "%}"));
        }
        result.add(new Piece(Kind.STATEMENT, "{%", " for " + target + " in " + items + " ", header.close()));
        return result;
    }

    /** Replaces {@code loop.previtem}/{@code loop.nextitem} with look-ups into the innermost loop's items. */
    private static String neighbourLookups(String body, LoopFrame frame) {
        if (frame == null) {
            return body;
        }
        String masked = mask(body);
        Matcher m = LOOP_NEIGHBOUR.matcher(masked);
        StringBuilder sb = new StringBuilder();
        int last = 0;
        while (m.find()) {
            frame.needsItems = true;
            sb.append(body, last, m.start());
            String items = frame.itemsVariable;
            if (m.group(1).equals("previtem")) {
                sb.append("(").append(items).append("[loop.index0 - 1] if loop.index0 > 0 else none)");
            } else {
                sb.append("(").append(items).append("[loop.index0 + 1] if not loop.last else none)");
            }
            last = m.end();
        }
        sb.append(body, last, body.length());
        return sb.toString();
    }

    static String reverseSlices(String body) {
        String masked = mask(body);
        StringBuilder sb = new StringBuilder();
        int last = 0;
        int at;
        while ((at = masked.indexOf("[::-1]", last)) >= 0) {
            sb.append(body, last, at).append("|reverse");
            last = at + "[::-1]".length();
        }
        sb.append(body, last, body.length());
        return sb.toString();
    }

    static String parenthesizeNamespaceArguments(String body) {
        String masked = mask(body);
        Matcher m = NAMESPACE_CALL.matcher(masked);
        StringBuilder sb = new StringBuilder();
        int last = 0;
        while (m.find(last)) {
            int argsStart = m.end();
            int argsEnd = matchingClose(masked, argsStart - 1);
            if (argsEnd < 0) {
                break;
            }
            sb.append(body, last, argsStart);
            List<int[]> args = topLevelSplit(masked, argsStart, argsEnd);
            for (int i = 0; i < args.size(); i++) {
                String arg = body.substring(args.get(i)[0], args.get(i)[1]);
                Matcher kw = KEYWORD_ARG.matcher(arg);
                if (kw.matches() && !kw.group(2).isBlank()) {
                    sb.append(kw.group(1)).append("(").append(kw.group(2).strip()).append(")");
                } else {
                    sb.append(arg);
                }
                if (i < args.size() - 1) {
                    sb.append(',');
                }
            }
            sb.append(')');
            last = argsEnd + 1;
        }
        sb.append(body, last, body.length());
        return sb.toString();
    }

    /**
     * {@code not a == b} is {@code not (a == b)} in jinja2, where {@code not} binds more loosely
     * than comparisons, tests and filters; jinjava binds it tightly ({@code (not a) == b}), and
     * its natural-precedence option breaks {@code not x is defined}. So each unary {@code not}'s
     * operand, up to the next {@code and}/{@code or}/{@code if}/{@code else}/comma/closing bracket
     * at its level, is parenthesized. {@code not in} and {@code is not} are binary and left alone.
     */
    static String parenthesizeNotOperands(String body) {
        int from = 0;
        while (true) {
            String masked = mask(body);
            Matcher m = NOT_KEYWORD.matcher(masked);
            if (!m.find(from)) {
                return body;
            }
            int notStart = m.start();
            int operandStart = m.end();
            from = operandStart;
            String before = masked.substring(0, notStart).stripTrailing();
            String after = masked.substring(operandStart).stripLeading();
            if (endsWithWord(before, "is") || startsWithWord(after, "in")) {
                continue;
            }
            while (operandStart < masked.length() && Character.isWhitespace(masked.charAt(operandStart))) {
                operandStart++;
            }
            int operandEnd = operandEnd(masked, operandStart);
            String operand = body.substring(operandStart, operandEnd).stripTrailing();
            if (operand.isEmpty() || (masked.charAt(operandStart) == '('
                    && matchingClose(masked, operandStart) == operandStart + operand.length() - 1)) {
                continue;
            }
            body = body.substring(0, operandStart) + "(" + operand + ")" + body.substring(operandStart + operand.length());
        }
    }

    private static final Pattern NOT_KEYWORD = Pattern.compile("(?<![A-Za-z0-9_.])not(?![A-Za-z0-9_])\\s*");
    private static final Pattern OPERAND_END = Pattern.compile("(?<![A-Za-z0-9_.])(and|or|if|else)(?![A-Za-z0-9_])");

    /** Where a {@code not}'s operand starting at {@code start} ends, in masked text. */
    private static int operandEnd(String masked, int start) {
        int depth = 0;
        for (int i = start; i < masked.length(); i++) {
            char c = masked.charAt(i);
            if (c == '\'' || c == '"') {
                i = TemplatePieces.endOfString(masked, i) - 1;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                if (depth == 0) {
                    return i;
                }
                depth--;
            } else if (depth == 0 && (c == ',' || c == ':')) {
                return i;
            } else if (depth == 0 && Character.isLetter(c)) {
                Matcher m = OPERAND_END.matcher(masked);
                m.region(i, masked.length());
                m.useTransparentBounds(true);
                if (m.lookingAt()) {
                    return i;
                }
            }
        }
        return masked.length();
    }

    private static boolean endsWithWord(String s, String word) {
        return s.endsWith(word) && (s.length() == word.length() || !isIdentifierChar(s.charAt(s.length() - word.length() - 1)));
    }

    private static boolean startsWithWord(String s, String word) {
        return s.startsWith(word) && (s.length() == word.length() || !isIdentifierChar(s.charAt(word.length())));
    }

    /**
     * jinjava's scanner reads {@code +} before a digit as a unary plus, so {@code n+1} fails to
     * parse; a space after a binary {@code +} ({@code n+ 1}) reads as jinja2 reads it.
     */
    static String spaceBinaryPlus(String body) {
        String masked = mask(body);
        StringBuilder sb = new StringBuilder(body.length() + 8);
        for (int i = 0; i < body.length(); i++) {
            sb.append(body.charAt(i));
            if (masked.charAt(i) == '+' && i + 1 < masked.length() && Character.isDigit(masked.charAt(i + 1))) {
                int j = i - 1;
                while (j >= 0 && masked.charAt(j) == ' ') {
                    j--;
                }
                if (j >= 0 && (isIdentifierChar(masked.charAt(j)) || ")]'\"".indexOf(masked.charAt(j)) >= 0)) {
                    sb.append(' ');
                }
            }
        }
        return sb.toString();
    }

    /** The body with every string literal's content replaced by spaces (quotes kept), same length. */
    static String mask(String body) {
        StringBuilder sb = new StringBuilder(body);
        int i = 0;
        while (i < body.length()) {
            char c = body.charAt(i);
            if (c == '\'' || c == '"') {
                int end;
                try {
                    end = TemplatePieces.endOfString(body, i);
                } catch (ChatTemplateException e) {
                    end = body.length();
                }
                for (int j = i + 1; j < end - 1; j++) {
                    sb.setCharAt(j, ' ');
                }
                i = end;
            } else {
                i++;
            }
        }
        return sb.toString();
    }

    /** Offset of the bracket closing the one at {@code open} in masked text, or -1. */
    private static int matchingClose(String masked, int open) {
        int depth = 0;
        for (int i = open; i < masked.length(); i++) {
            char c = masked.charAt(i);
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
                if (depth == 0) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** [start, end) ranges of the comma-separated parts of masked[from, to) outside brackets. */
    private static List<int[]> topLevelSplit(String masked, int from, int to) {
        List<int[]> parts = new ArrayList<>();
        int depth = 0;
        int start = from;
        for (int i = from; i < to; i++) {
            char c = masked.charAt(i);
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (c == ',' && depth == 0) {
                parts.add(new int[] {start, i});
                start = i + 1;
            }
        }
        parts.add(new int[] {start, to});
        return parts;
    }

    /** Offset of the first stand-alone {@code keyword} outside brackets in masked text, or -1. */
    private static int topLevelKeyword(String masked, String keyword) {
        int depth = 0;
        for (int i = 0; i < masked.length(); i++) {
            char c = masked.charAt(i);
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (depth == 0 && masked.startsWith(keyword, i)
                    && (i == 0 || !isIdentifierChar(masked.charAt(i - 1)))
                    && (i + keyword.length() == masked.length() || !isIdentifierChar(masked.charAt(i + keyword.length())))) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isIdentifierChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }
}
