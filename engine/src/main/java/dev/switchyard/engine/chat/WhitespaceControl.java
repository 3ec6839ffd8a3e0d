package dev.switchyard.engine.chat;

import dev.switchyard.engine.chat.TemplatePieces.Kind;
import dev.switchyard.engine.chat.TemplatePieces.Piece;
import java.util.ArrayList;
import java.util.List;

/**
 * jinja2's whitespace handling, done on the template text before jinjava sees it: line breaks,
 * {@code trim_blocks}, {@code lstrip_blocks} and the {@code -}/{@code +} markers, applied the way
 * jinja2's lexer applies them, so that jinjava can render with its own whitespace handling off.
 */
final class WhitespaceControl {

    private WhitespaceControl() {}

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
    static List<Piece> apply(List<Piece> pieces) {
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
            if (!out.isEmpty() && (out.getLast().kind() == Kind.TEXT || out.getLast().kind() == Kind.RAW)) {
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
                out.set(out.size() - 1, out.getLast().withBody(text));
            }
            if (piece.kind() != Kind.COMMENT) {
                out.add(new Piece(piece.kind(), piece.open().substring(0, 2), piece.body(),
                        piece.close().substring(piece.close().length() - 2)));
            }
            lineStarting = false;
            Kind nextKind = i + 1 < in.size() ? in.get(i + 1).kind() : null;
            if (nextKind == Kind.TEXT || nextKind == Kind.RAW) {
                String next = in.get(i + 1).body();
                if (right == '-') {
                    String stripped = PythonStrings.strip(next, null, true, false);
                    lineStarting = next.substring(0, next.length() - stripped.length()).endsWith("\n");
                    next = stripped;
                } else if (block && right != '+' && next.startsWith("\n") && nextKind == Kind.TEXT) {
                    // A raw block's content keeps the newline after {% raw %}, as in jinja2.
                    next = next.substring(1);
                    lineStarting = true;
                }
                in.set(i + 1, in.get(i + 1).withBody(next));
            }
        }
        return out;
    }

    /**
     * Joins the pieces, writing a text's {@code {} as {@code {{ '{' }}} wherever it would
     * otherwise open a tag: where stripped whitespace or a dropped comment brought it next to a
     * tag or to a {@code {}, {@code %} or {@code #} ({@code "results": {{% for ...}).
     */
    static String joinGuarded(List<Piece> pieces) {
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
}
