package dev.switchyard.engine.structured;

/**
 * Where text written so far stands in a {@link RegexPattern}: its automaton's states (and, from
 * {@link CodePointCursor}, a character half written). Copying allocates only where a larger
 * pattern needs more room.
 */
final class RegexCursor extends CodePointCursor {

    private RegexPattern pattern;
    private long[] states = new long[0];
    private long[] stepped = new long[0];

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
        copyPending(other);
    }

    /** Whether the text is a whole match (no character half written). */
    boolean atMatch() {
        return pending == 0 && pattern.accepts(states);
    }

    /** Whether the text is a whole match that nothing may follow. */
    boolean ended() {
        return atMatch() && !pattern.canContinue(states);
    }

    @Override
    boolean takesAny(int lo, int hi) {
        return pattern.anyIn(states, lo, hi);
    }

    @Override
    boolean takeWhole(int cp) {
        if (!pattern.step(states, cp, stepped)) {
            return false;
        }
        long[] t = states;
        states = stepped;
        stepped = t;
        return true;
    }
}
