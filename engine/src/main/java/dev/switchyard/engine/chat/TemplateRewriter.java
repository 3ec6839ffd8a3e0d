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
 *   <li>{@code {% for %}...{% else %}...{% endfor %}}: jinjava renders the else part as loop
 *       body; it becomes an {@code if} after the loop on the loop's bound sequence being empty.
 *   <li>{@code {% filter f %}...{% endfilter %}}, a tag jinjava lacks, becomes a block
 *       {@code set} of the body and a print of it through {@code f}.
 *   <li>{@code not a == b} gets its operand parenthesized ({@link #parenthesizeNotOperands}),
 *       {@code n+1} a space ({@link #spaceBinaryPlus}), and an expression starting with a sign
 *       ({@code {{ -1 }}}) parentheses, which jinjava would read as a whitespace marker.
 *   <li>{@code {% generation %}...{% endgeneration %}} (Hugging Face's assistant-mask marker,
 *       unknown to jinjava) becomes an always-true {@code if}: it renders its body.
 *   <li>Whitespace control is applied to the text here, as jinja2's lexer applies it
 *       ({@link WhitespaceControl}), and line breaks normalized as jinja2 does.
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
        List<Piece> pieces = WhitespaceControl.apply(TemplatePieces.split(WhitespaceControl.normalizeNewlines(template)));
        List<Piece> out = new ArrayList<>(pieces.size());
        Deque<LoopFrame> loops = new ArrayDeque<>();
        Deque<Object> blocks = new ArrayDeque<>(); // open block tags: a LoopFrame for a for, else the keyword
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
            if (piece.kind() == Kind.EXPRESSION && (body.strip().startsWith("-") || body.strip().startsWith("+"))) {
                // jinjava would take the sign of {{ -7 }} for a whitespace-control marker.
                body = " (" + body.strip() + ") ";
            }
            Piece rewritten = piece.withBody(body);
            String keyword = rewritten.keyword();
            LoopFrame current = innermostLoopBody(loops);
            switch (keyword) {
                case "for" -> {
                    // The header's own expressions refer to an enclosing loop, if any.
                    rewritten = rewritten.withBody(neighbourLookups(rewritten.body(), current));
                    LoopFrame frame = new LoopFrame(out.size(), "__sy_items_" + loopCount++, rewritten);
                    loops.push(frame);
                    blocks.push(frame);
                    out.add(rewritten);
                }
                case "endfor" -> {
                    if (loops.isEmpty()) {
                        out.add(rewritten);
                        break;
                    }
                    // Nested loops closed before this one, so only later pieces shift.
                    LoopFrame frame = loops.pop();
                    blocks.remove(frame);
                    List<Piece> header = rewriteLoopHeader(frame.header, frame);
                    out.remove(frame.headerPosition);
                    out.addAll(frame.headerPosition, header);
                    out.add(frame.inElse ? rewritten.withBody(" endif ") : rewritten);
                }
                case "else" -> {
                    if (blocks.peek() instanceof LoopFrame frame) {
                        // for ... else: the else part renders when the loop had no items.
                        frame.needsItems = true;
                        frame.inElse = true;
                        out.add(rewritten.withBody(" endfor "));
                        out.add(rewritten.withBody(" if not " + frame.itemsVariable + " "));
                    } else {
                        out.add(rewritten);
                    }
                }
                case "filter" -> {
                    // A filter block renders its body into a variable and prints it filtered.
                    FilterBlock block = new FilterBlock("__sy_filtered_" + loopCount++,
                            body.strip().substring("filter".length()).strip());
                    blocks.push(block);
                    out.add(rewritten.withBody(" set " + block.variable() + " "));
                }
                case "endfilter" -> {
                    if (blocks.peek() instanceof FilterBlock block) {
                        blocks.pop();
                        out.add(rewritten.withBody(" endset "));
                        out.add(new Piece(Kind.EXPRESSION, "{{", " " + block.variable() + "|" + block.filters() + " ", "}}"));
                    } else {
                        out.add(rewritten);
                    }
                }
                case "generation" -> {
                    blocks.push(keyword);
                    out.add(rewritten.withBody(" if true "));
                }
                case "endgeneration" -> {
                    blocks.poll();
                    out.add(rewritten.withBody(" endif "));
                }
                default -> {
                    if (OPENS_BLOCK.contains(keyword) || (keyword.equals("set") && !hasTopLevelAssignment(body))) {
                        blocks.push(keyword);
                    } else if (closesBlock(keyword) && !blocks.isEmpty() && !(blocks.peek() instanceof LoopFrame)) {
                        blocks.pop();
                    }
                    out.add(rewritten.withBody(neighbourLookups(rewritten.body(), current)));
                }
            }
        }
        return WhitespaceControl.joinGuarded(out);
    }

    /** An open {@code {% filter f %}} block: the variable its body goes to, and the filters. */
    private record FilterBlock(String variable, String filters) {}

    /** Block tags other than for that take an end tag ({@code set} only in its block form). */
    private static final java.util.Set<String> OPENS_BLOCK = java.util.Set.of("if", "macro", "call", "block",
            "with", "autoescape");

    private static boolean closesBlock(String keyword) {
        return keyword.startsWith("end") && (OPENS_BLOCK.contains(keyword.substring(3)) || keyword.equals("endset"));
    }

    /** The loop whose body we are in: the innermost one not already in its else part. */
    private static LoopFrame innermostLoopBody(Deque<LoopFrame> loops) {
        for (LoopFrame frame : loops) {
            if (!frame.inElse) {
                return frame;
            }
        }
        return null;
    }

    private static boolean hasTopLevelAssignment(String body) {
        String masked = mask(body);
        int depth = 0;
        for (int i = 0; i < masked.length(); i++) {
            char c = masked.charAt(i);
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (c == '=' && depth == 0 && (i + 1 >= masked.length() || masked.charAt(i + 1) != '=')
                    && (i == 0 || "=!<>".indexOf(masked.charAt(i - 1)) < 0)) {
                return true;
            }
        }
        return false;
    }

    /** A {@code for} being rewritten: where its header sits in the output and what it needs. */
    private static final class LoopFrame {
        final int headerPosition;
        final String itemsVariable;
        final Piece header;
        boolean needsItems;
        boolean inElse;

        LoopFrame(int headerPosition, String itemsVariable, Piece header) {
            this.headerPosition = headerPosition;
            this.itemsVariable = itemsVariable;
            this.header = header;
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
