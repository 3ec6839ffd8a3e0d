package dev.switchyard.loadtest.workload;

import java.util.random.RandomGenerator;

/**
 * A length or delay given on the command line as one value ({@code 128}) or an inclusive range drawn
 * uniformly ({@code 64-256} or {@code 64:256}).
 */
public record IntRange(int min, int max) {

    public IntRange {
        if (min < 0 || max < min) {
            throw new IllegalArgumentException("range must satisfy 0 <= min <= max, got " + min + "-" + max);
        }
    }

    public static IntRange fixed(int value) {
        return new IntRange(value, value);
    }

    /** Parses {@code N}, {@code MIN-MAX} or {@code MIN:MAX}. */
    public static IntRange parse(String text) {
        String t = text.strip();
        int sep = Math.max(t.indexOf('-', 1), t.indexOf(':'));
        try {
            if (sep < 0) {
                return fixed(Integer.parseInt(t));
            }
            return new IntRange(Integer.parseInt(t.substring(0, sep).strip()), Integer.parseInt(t.substring(sep + 1).strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected N or MIN-MAX, got '" + text + "'");
        }
    }

    public int draw(RandomGenerator random) {
        return min == max ? min : random.nextInt(min, max + 1);
    }

    @Override
    public String toString() {
        return min == max ? Integer.toString(min) : min + "-" + max;
    }
}
