package dev.switchyard.engine.structured;

/** A regular expression that cannot hold replies: what is wrong, and where in the pattern. */
public final class PatternException extends IllegalArgumentException {

    private final int index;
    private final String what;

    PatternException(String pattern, int index, String what) {
        super("the pattern at character " + index + (index < pattern.length() ? " ('" + excerpt(pattern, index) + "')"
                : "") + ": " + what);
        this.index = index;
        this.what = what;
    }

    /** What is wrong, without the place. */
    public String what() {
        return what;
    }

    /** Where in the pattern the problem is. */
    public int index() {
        return index;
    }

    private static String excerpt(String pattern, int index) {
        return pattern.substring(index, Math.min(pattern.length(), index + 12));
    }
}
