package dev.switchyard.engine.text;

/**
 * Finding a chat format's markers in text that streams: the earliest one in a piece of text, and
 * how much of a piece's end must wait because the next piece may complete a marker. What the
 * reasoning splitters and the tool-call extractor share.
 */
public final class Markers {

    private Markers() {
    }

    /** Where the earliest of {@code markers} begins in {@code text} at or after {@code from}; -1 when none does. */
    public static int earliest(CharSequence text, int from, String[] markers, int[] which) {
        int best = -1;
        for (int m = 0; m < markers.length; m++) {
            int at = indexOf(text, markers[m], from);
            if (at >= 0 && (best < 0 || at < best)) {
                best = at;
                which[0] = m;
            }
        }
        return best;
    }

    /** Where {@code marker} begins in {@code text} (a String or a StringBuilder) at or after {@code from}; -1 when not. */
    public static int indexOf(CharSequence text, String marker, int from) {
        if (text instanceof String s) {
            return s.indexOf(marker, from);
        }
        return ((StringBuilder) text).indexOf(marker, from);
    }

    /**
     * Length of the longest suffix of {@code text[from, length)} that is a proper prefix of one of
     * {@code markers}: what must be held back because the next delta may complete a marker.
     */
    public static int heldBack(CharSequence text, int from, String[] markers) {
        int length = text.length();
        int keep = 0;
        for (String marker : markers) {
            for (int k = Math.min(marker.length() - 1, length - from); k > keep; k--) {
                if (endsWithPrefix(text, length, marker, k)) {
                    keep = k;
                    break;
                }
            }
        }
        return keep;
    }

    private static boolean endsWithPrefix(CharSequence text, int length, String marker, int k) {
        for (int i = 0; i < k; i++) {
            if (text.charAt(length - k + i) != marker.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
