package dev.switchyard.engine.structured;

import java.util.ArrayList;
import java.util.List;

/**
 * The integers of a range as a regular expression over their JSON spelling ({@code -?(0|[1-9][0-9]*)},
 * no leading zeros, no {@code -0}), so that a matcher can refuse, digit by digit, a number that
 * could no longer fall inside: JSON Schema's {@code minimum} and {@code maximum} for integers.
 * The range's digits are split by length, and each length's span digit by digit, as ranges of
 * numerals are usually turned into patterns.
 */
final class IntegerRange {

    private IntegerRange() {
    }

    /** Bounds past this are refused: a pattern of them would be long, and no schema needs them. */
    static final long LIMIT = 1_000_000_000_000_000L;

    /**
     * The pattern of the integers from {@code min} to {@code max} (null: unbounded on that side;
     * within {@link #LIMIT}); min <= max.
     */
    static String pattern(Long min, Long max) {
        List<String> parts = new ArrayList<>();
        // negatives: -(|n|) for n in [min, min(max, -1)]
        if (min == null || min < 0) {
            Long negativeMin = max == null || max >= 0 ? Long.valueOf(1) : Long.valueOf(-max);
            Long negativeMax = min == null ? null : -min;
            parts.add("-(?:" + positive(negativeMin, negativeMax) + ")");
        }
        if ((min == null || min <= 0) && (max == null || max >= 0)) {
            parts.add("0");
        }
        if (max == null || max > 0) {
            long from = min == null || min < 1 ? 1 : min;
            parts.add(positive(from, max));
        }
        return String.join("|", parts);
    }

    /** The integers from {@code from} (at least 1) to {@code to} (null: no end), without leading zeros. */
    private static String positive(long from, Long to) {
        List<String> parts = new ArrayList<>();
        int first = digits(from);
        int last = to == null ? first : digits(to);
        for (int length = first; length <= last; length++) {
            long lo = Math.max(from, length == 1 ? 1 : pow10(length - 1));
            long hi = pow10(length) - 1;
            if (to != null) {
                hi = Math.min(hi, to);
            }
            if (lo <= hi) {
                parts.add(sameLength(Long.toString(lo), Long.toString(hi))); // both of `length` digits
            }
        }
        if (to == null) {
            parts.add("[1-9][0-9]{" + first + ",}"); // more digits than the least has: all above it
        }
        return String.join("|", parts);
    }

    /** The digit strings from {@code lo} to {@code hi}, both of one length. */
    private static String sameLength(String lo, String hi) {
        int n = lo.length();
        if (n == 0) {
            return "";
        }
        if (lo.chars().allMatch(c -> c == '0') && hi.chars().allMatch(c -> c == '9')) {
            return n == 1 ? "[0-9]" : "[0-9]{" + n + "}";
        }
        char a = lo.charAt(0);
        char b = hi.charAt(0);
        if (n == 1) {
            return a == b ? String.valueOf(a) : "[" + a + "-" + b + "]";
        }
        String restLo = lo.substring(1);
        String restHi = hi.substring(1);
        if (a == b) {
            return a + "(?:" + sameLength(restLo, restHi) + ")";
        }
        List<String> parts = new ArrayList<>();
        parts.add(a + "(?:" + sameLength(restLo, "9".repeat(n - 1)) + ")");
        if (b - a > 1) {
            parts.add("[" + (char) (a + 1) + "-" + (char) (b - 1) + "][0-9]{" + (n - 1) + "}");
        }
        parts.add(b + "(?:" + sameLength("0".repeat(n - 1), restHi) + ")");
        return String.join("|", parts);
    }

    private static int digits(long v) {
        return Long.toString(v).length();
    }

    private static long pow10(int e) {
        long p = 1;
        for (int i = 0; i < e; i++) {
            p *= 10;
        }
        return p;
    }
}
