package dev.switchyard.server.serving;

import java.util.List;

/**
 * Finds the stop strings in one choice's text as it streams, and holds back the text that may be the
 * beginning of one, so that no client ever sees a stop string or a piece of one (OpenAI returns the
 * text before the stop string, without it).
 *
 * <p>Invariant: the held text is the longest suffix of what was pushed that is a proper prefix of some
 * stop string, so it stays shorter than the longest stop string, and any stop string that completes
 * begins inside it. Searching the held text alone therefore finds the earliest match.
 */
final class StopStrings {

    private final String[] stops;
    /** Whether a matched stop string is released with the text before it (vLLM's include_stop_str_in_output). */
    private final boolean keepMatch;
    private final StringBuilder held = new StringBuilder();
    private boolean matched;
    private String found;

    StopStrings(List<String> stops) {
        this(stops, false);
    }

    /** With {@code keepMatch}, the stop string found ends the released text instead of being dropped. */
    StopStrings(List<String> stops, boolean keepMatch) {
        this.stops = stops.toArray(String[]::new);
        this.keepMatch = keepMatch;
    }

    /** Whether what stops the output stays in it (vLLM's include_stop_str_in_output). */
    boolean keepsMatch() {
        return keepMatch;
    }

    /** Whether a stop string was found; no text is released after that. */
    boolean matched() {
        return matched;
    }

    /** The stop string found (the earliest in the text, the first listed among those starting there), or null. */
    String found() {
        return found;
    }

    /** Adds text; returns what is safe to release: all of it but a possible stop-string prefix, or the text before a match. */
    String push(String text) {
        if (matched) {
            return "";
        }
        if (stops.length == 0) {
            return text;
        }
        if (text.isEmpty() && held.isEmpty()) {
            return text;
        }
        held.append(text);
        int first = -1;
        for (String s : stops) {
            int at = held.indexOf(s);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
                found = s;
            }
        }
        if (first >= 0) {
            matched = true;
            String out = held.substring(0, keepMatch ? first + found.length() : first);
            held.setLength(0);
            return out;
        }
        int keep = longestPrefixSuffix();
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    /** The held text, at the end of the choice (when no stop string matched it is part of the output). */
    String flush() {
        if (matched || held.isEmpty()) {
            return "";
        }
        String out = held.toString();
        held.setLength(0);
        return out;
    }

    /** Length of the longest suffix of {@code held} that is a proper prefix of a stop string. */
    private int longestPrefixSuffix() {
        int keep = 0;
        int length = held.length();
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, length); k > keep; k--) {
                if (endsWithPrefix(s, k, length)) {
                    keep = k;
                    break;
                }
            }
        }
        return keep;
    }

    private boolean endsWithPrefix(String stop, int k, int length) {
        for (int i = 0; i < k; i++) {
            if (held.charAt(length - k + i) != stop.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
