package dev.switchyard.engine.structured;

/**
 * Where text written so far stands in a {@link RegexPattern}: its automaton's states, and the UTF-8
 * bytes of a character begun but not yet whole. Bytes are taken while the character they begin may
 * still be one the pattern takes next (overlong forms and surrogates never are), so a cursor that
 * took a byte always has a way on. Copying allocates only where a larger pattern needs more room.
 */
final class RegexCursor {

    private RegexPattern pattern;
    private long[] states = new long[0];
    private long[] stepped = new long[0];
    /** Bytes of the current character still to come, its bits so far, and the least it may be. */
    private int pending;
    private int codePoint;
    private int least;

    /** At the start of {@code p}. */
    void start(RegexPattern p) {
        pattern = p;
        if (states.length < p.words()) {
            states = new long[p.words()];
            stepped = new long[p.words()];
        }
        p.start(states);
        pending = 0;
    }

    void copyFrom(RegexCursor other) {
        pattern = other.pattern;
        if (pattern == null) {
            return;
        }
        if (states.length < pattern.words()) {
            states = new long[pattern.words()];
            stepped = new long[pattern.words()];
        }
        System.arraycopy(other.states, 0, states, 0, pattern.words());
        pending = other.pending;
        codePoint = other.codePoint;
        least = other.least;
    }

    /** Whether the text is a whole match (no character half written). */
    boolean atMatch() {
        return pending == 0 && pattern.accepts(states);
    }

    /** Whether the text is a whole match that nothing may follow. */
    boolean ended() {
        return atMatch() && !pattern.canContinue(states);
    }

    /** Whether some code point in {@code [lo, hi]}, surrogates aside, may come next. */
    boolean mayTake(int lo, int hi) {
        return pending == 0 && anyIn(lo, hi);
    }

    /** Whether the pattern takes some code point of {@code [lo, hi]} next, surrogates (never text) aside. */
    private boolean anyIn(int lo, int hi) {
        if (hi >= 0xD800 && lo <= 0xDFFF) {
            return lo < 0xD800 && pattern.anyIn(states, lo, 0xD7FF)
                    || hi > 0xDFFF && pattern.anyIn(states, 0xE000, hi);
        }
        return pattern.anyIn(states, lo, hi);
    }

    /** Takes a whole character; false (and unchanged) when the pattern cannot. */
    boolean take(int cp) {
        if (pending != 0 || !pattern.step(states, cp, stepped)) {
            return false;
        }
        long[] t = states;
        states = stepped;
        stepped = t;
        return true;
    }

    /** Takes one byte of UTF-8 text; false when no character it may begin or end can come next. */
    boolean takeByte(byte b) {
        int u = b & 0xFF;
        if (pending == 0) {
            if (u < 0x80) {
                return take(u);
            }
            int more = u >= 0xF0 && u <= 0xF4 ? 3 : u >= 0xE0 && u <= 0xEF ? 2 : u >= 0xC2 && u <= 0xDF ? 1 : -1;
            if (more < 0) {
                return false;
            }
            int bits = u & (0x3F >> more);
            int min = more == 1 ? 0x80 : more == 2 ? 0x800 : 0x10000;
            if (!mayBecome(bits, more, min)) {
                return false;
            }
            pending = more;
            codePoint = bits;
            least = min;
            return true;
        }
        if ((u & 0xC0) != 0x80) {
            return false;
        }
        int bits = codePoint << 6 | (u & 0x3F);
        if (pending == 1) {
            if (bits < least || bits > 0x10FFFF || bits >= 0xD800 && bits <= 0xDFFF) {
                return false;
            }
            pending = 0;
            if (!take(bits)) {
                pending = 1;
                return false;
            }
            return true;
        }
        if (!mayBecome(bits, pending - 1, least)) {
            return false;
        }
        codePoint = bits;
        pending--;
        return true;
    }

    /** Whether a character whose bits so far are {@code bits}, {@code more} bytes to come, may come next. */
    private boolean mayBecome(int bits, int more, int min) {
        int lo = Math.max(min, bits << 6 * more);
        int hi = Math.min(0x10FFFF, (bits + 1 << 6 * more) - 1);
        return lo <= hi && anyIn(lo, hi);
    }
}
