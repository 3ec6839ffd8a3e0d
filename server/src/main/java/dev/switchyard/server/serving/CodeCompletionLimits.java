package dev.switchyard.server.serving;

/**
 * llama.cpp's limits for code completion, as editor plugins (llama.vscode, llama.vim) send them with
 * every request, and as llama-server applies them:
 * <ul>
 * <li>{@code n_indent}: once the reply has begun a new line, a line indented by fewer spaces or tabs
 *     than this ends it: the text stops after that line's indentation (an empty line counts as one
 *     of no indentation). The reply's first line, which goes on from the cursor, is not checked.</li>
 * <li>{@code t_max_predict_ms}: once the reply holds a new line, a token that comes more than this
 *     many milliseconds after the first ends it (that token's text is still part of it).</li>
 * </ul>
 *
 * @param minIndent       0 for no indentation limit
 * @param maxPredictMillis 0 for no time limit
 */
public record CodeCompletionLimits(int minIndent, long maxPredictMillis) {

    public static final CodeCompletionLimits NONE = new CodeCompletionLimits(0, 0);

    public CodeCompletionLimits {
        if (minIndent < 0 || maxPredictMillis < 0) {
            throw new IllegalArgumentException("code completion limits are 0 (none) or more");
        }
    }

    public boolean any() {
        return minIndent > 0 || maxPredictMillis > 0;
    }

    /** A fresh tracker for one choice. */
    Tracker tracker() {
        return new Tracker();
    }

    /** One choice's text against the limits, as it streams; not thread-safe. */
    final class Tracker {

        /** Text after the reply's latest new line that is all spaces and tabs so far, held back. */
        private final StringBuilder held = new StringBuilder();
        private boolean newLineSeen;
        private boolean inIndentation;
        private long firstTokenNanos = -1;
        private boolean limited;

        /** Whether a limit ended the reply; nothing is released after that. */
        boolean limited() {
            return limited;
        }

        /**
         * Notes a token's arrival at {@code nanos}, before its text is pushed: a token past the time
         * limit, once a new line was seen, is the reply's last.
         */
        void tokenAt(long nanos) {
            if (firstTokenNanos < 0) {
                firstTokenNanos = nanos;
            } else if (maxPredictMillis > 0 && newLineSeen && nanos - firstTokenNanos > maxPredictMillis * 1_000_000L) {
                limited = true;
            }
        }

        /** Adds text; returns what may be released: all but a new line's indentation still being read. */
        String push(String text) {
            boolean newLine = text.indexOf('\n') >= 0;
            if (minIndent == 0 || !inIndentation && !newLine) {
                newLineSeen |= newLine;
                return text; // nothing to hold back or measure: no copy per token
            }
            StringBuilder out = new StringBuilder(held.length() + text.length());
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (inIndentation) {
                    if (c == ' ' || c == '\t') {
                        held.append(c);
                        continue;
                    }
                    inIndentation = false;
                    int indent = held.length();
                    out.append(held);
                    held.setLength(0);
                    if (indent < minIndent) {
                        limited = true; // the line's text goes, its indentation stays, as llama-server cuts it
                        return out.toString();
                    }
                }
                out.append(c);
                if (c == '\n') {
                    newLineSeen = true;
                    inIndentation = true;
                }
            }
            return out.toString();
        }

        /** At the reply's end: the indentation still held (a reply may end on a new line's spaces). */
        String flush() {
            String out = held.toString();
            held.setLength(0);
            return out;
        }
    }
}
