package dev.switchyard.engine.structured;

/** A grammar that cannot hold replies: what is wrong, and where in its text (line and column from 1). */
public final class GrammarException extends IllegalArgumentException {

    private final String what;

    GrammarException(String text, int index, String what) {
        super(place(text, index) + what);
        this.what = what;
    }

    /** A problem of the grammar as a whole, with no one place. */
    GrammarException(String what) {
        super("the grammar: " + what);
        this.what = what;
    }

    /** What is wrong, without the place. */
    public String what() {
        return what;
    }

    private static String place(String text, int index) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < Math.min(index, text.length()); i++) {
            if (text.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        String at = "the grammar at line " + line + ", column " + (index - lineStart + 1);
        if (index >= text.length()) {
            return at + " (its end): ";
        }
        int end = index;
        while (end < text.length() && end < index + 12 && text.charAt(end) != '\n') {
            end++;
        }
        return at + (end > index ? " ('" + text.substring(index, end) + "')" : "") + ": ";
    }
}
