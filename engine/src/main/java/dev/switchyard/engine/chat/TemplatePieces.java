package dev.switchyard.engine.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits Jinja template text into text, expression ({@code {{ }}}), statement ({@code {% %}}) and
 * comment ({@code {# #}}) pieces, keeping each tag's whitespace-control markers apart from its
 * body so that {@link TemplateRewriter} can rewrite a body and put the tag back together. Joining
 * the pieces' {@link Piece#text()} gives the input back unchanged.
 *
 * <p>A tag ends at its closing delimiter outside string literals and outside brackets, as in
 * jinja2's lexer (so {@code {{ {'a': {'b': 1}} }}} is one expression). The content of a
 * {@code {% raw %}} block is one verbatim RAW piece between its raw and endraw tags.
 */
final class TemplatePieces {

    enum Kind { TEXT, EXPRESSION, STATEMENT, COMMENT, RAW }

    /**
     * One piece. For a tag, {@code open} is the opening delimiter with its marker ({@code "{%-"}),
     * {@code body} what lies between the markers, {@code close} the closing delimiter with its
     * marker ({@code "-%}"}); for text, only {@code body} is set.
     */
    record Piece(Kind kind, String open, String body, String close) {

        static Piece text(String text) {
            return new Piece(Kind.TEXT, "", text, "");
        }

        String text() {
            return open + body + close;
        }

        Piece withBody(String newBody) {
            return new Piece(kind, open, newBody, close);
        }

        /** The statement's first word ({@code "for"}, {@code "endfor"}, ...), or "" when not a statement. */
        String keyword() {
            if (kind != Kind.STATEMENT) {
                return "";
            }
            String b = body.strip();
            int end = 0;
            while (end < b.length() && (Character.isLetterOrDigit(b.charAt(end)) || b.charAt(end) == '_')) {
                end++;
            }
            return b.substring(0, end);
        }
    }

    private TemplatePieces() {}

    static List<Piece> split(String template) {
        List<Piece> pieces = new ArrayList<>();
        int pos = 0;
        int textStart = 0;
        int n = template.length();
        while (pos < n - 1) {
            char c = template.charAt(pos);
            char d = template.charAt(pos + 1);
            if (c != '{' || (d != '{' && d != '%' && d != '#')) {
                pos++;
                continue;
            }
            if (pos > textStart) {
                pieces.add(Piece.text(template.substring(textStart, pos)));
            }
            int end;
            if (d == '#') {
                int close = template.indexOf("#}", pos + 2);
                if (close < 0) {
                    throw new ChatTemplateException("unterminated comment at offset " + pos);
                }
                pieces.add(tag(Kind.COMMENT, template, pos, close + 2, 2));
                end = close + 2;
            } else {
                Kind kind = d == '{' ? Kind.EXPRESSION : Kind.STATEMENT;
                end = endOfTag(template, pos + 2, kind == Kind.EXPRESSION ? "}}" : "%}");
                Piece piece = tag(kind, template, pos, end, 2);
                pieces.add(piece);
                if (piece.keyword().equals("raw")) {
                    end = endOfRaw(template, end, pieces);
                }
            }
            pos = end;
            textStart = end;
        }
        if (textStart < n) {
            pieces.add(Piece.text(template.substring(textStart)));
        }
        return pieces;
    }

    static String join(List<Piece> pieces) {
        StringBuilder sb = new StringBuilder();
        for (Piece p : pieces) {
            sb.append(p.text());
        }
        return sb.toString();
    }

    private static Piece tag(Kind kind, String template, int start, int end, int delimiterLength) {
        int bodyStart = start + delimiterLength;
        if (bodyStart < end && isMarker(template.charAt(bodyStart))) {
            bodyStart++;
        }
        int bodyEnd = end - delimiterLength;
        if (bodyEnd - 1 >= bodyStart && isMarker(template.charAt(bodyEnd - 1))) {
            bodyEnd--;
        }
        return new Piece(kind, template.substring(start, bodyStart), template.substring(bodyStart, bodyEnd),
                template.substring(bodyEnd, end));
    }

    private static boolean isMarker(char c) {
        return c == '-' || c == '+';
    }

    /** The offset just past the tag's closing delimiter, skipping strings and bracketed parts. */
    private static int endOfTag(String s, int from, String closing) {
        int depth = 0;
        int i = from;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = endOfString(s, i);
                continue;
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
                depth--;
            } else if (depth == 0 && s.startsWith(closing, i)) {
                return i + closing.length();
            }
            i++;
        }
        throw new ChatTemplateException("unterminated tag at offset " + (from - 2));
    }

    /** The offset just past the string literal starting at {@code start}. */
    static int endOfString(String s, int start) {
        char quote = s.charAt(start);
        int i = start + 1;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\\') {
                i += 2;
                continue;
            }
            if (c == quote) {
                return i + 1;
            }
            i++;
        }
        throw new ChatTemplateException("unterminated string literal at offset " + start);
    }

    /** Adds the raw block's content as a RAW piece and its endraw tag; returns the offset after them. */
    private static int endOfRaw(String template, int from, List<Piece> pieces) {
        int i = from;
        while (true) {
            int open = template.indexOf("{%", i);
            if (open < 0) {
                throw new ChatTemplateException("raw block without endraw");
            }
            int end = endOfTag(template, open + 2, "%}");
            Piece tag = tag(Kind.STATEMENT, template, open, end, 2);
            if (tag.keyword().equals("endraw")) {
                pieces.add(new Piece(Kind.RAW, "", template.substring(from, open), ""));
                pieces.add(tag);
                return end;
            }
            i = end;
        }
    }
}
