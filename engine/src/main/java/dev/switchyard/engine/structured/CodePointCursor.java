package dev.switchyard.engine.structured;

/**
 * Where UTF-8 text written so far stands in a language over code points: the bytes of a character
 * begun but not yet whole, before a subclass takes the character. A byte is taken only while the
 * character it begins may still be one the language takes next (overlong forms and surrogates never
 * are), so a cursor that took a byte always has a way on.
 */
abstract class CodePointCursor {

    /** Bytes of the current character still to come, its bits so far, and the least it may be. */
    int pending;
    int codePoint;
    int least;

    /** Takes a whole character; false (and unchanged) when the language cannot take it next. */
    abstract boolean takeWhole(int cp);

    /** Whether the language takes some code point of {@code [lo, hi]} next (no surrogates in it). */
    abstract boolean takesAny(int lo, int hi);

    final void copyPending(CodePointCursor other) {
        pending = other.pending;
        codePoint = other.codePoint;
        least = other.least;
    }

    /** Whether some code point in {@code [lo, hi]}, surrogates aside, may come next. */
    final boolean mayTake(int lo, int hi) {
        return pending == 0 && anyIn(lo, hi);
    }

    /** Takes a whole character; false (and unchanged) when it cannot come next. */
    final boolean take(int cp) {
        return pending == 0 && takeWhole(cp);
    }

    private boolean anyIn(int lo, int hi) {
        if (hi >= 0xD800 && lo <= 0xDFFF) {
            return lo < 0xD800 && takesAny(lo, 0xD7FF) || hi > 0xDFFF && takesAny(0xE000, hi);
        }
        return takesAny(lo, hi);
    }

    /** Takes one byte of UTF-8 text; false when no character it may begin or end can come next. */
    final boolean takeByte(byte b) {
        int u = b & 0xFF;
        if (pending == 0) {
            if (u < 0x80) {
                return takeWhole(u);
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
            if (bits < least || bits > 0x10FFFF || bits >= 0xD800 && bits <= 0xDFFF || !takeWhole(bits)) {
                return false;
            }
            pending = 0;
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
