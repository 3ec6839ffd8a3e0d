package dev.switchyard.engine.structured;

import dev.switchyard.engine.sampling.TokenConstraint;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Holds one reply to a sequence of parts, each text written exactly ({@link #literal}), one of
 * several texts ({@link #oneOf}) or a JSON value of a schema ({@link #json}), optionally after a stretch of free text that ends with a
 * marker (the reply's reasoning, which ends with {@code </think>} or opens harmony's final channel).
 * The reply is finished once its last part is: the sampler then ends the sequence, with no need for
 * an end-of-generation token.
 *
 * <p>A token may come next when its bytes carry the reply on: through the literal's next bytes,
 * through what the JSON may be, or, before the marker, anywhere (a token that completes the marker
 * must carry the rest into the first part). Control and end-of-generation tokens may only spell a
 * literal part (harmony's {@code <|call|>}, Mistral's {@code [TOOL_CALLS]}); inside JSON they are
 * refused. Trying a token copies the state into scratch and allocates nothing.
 */
public final class OutputConstraint implements TokenConstraint {

    /** One part of the reply. */
    public sealed interface Part {
    }

    private record Literal(byte[] text) implements Part {
    }

    private record Json(JsonSchema schema) implements Part {
    }

    private record OneOf(List<byte[]> texts) implements Part {
    }

    public static Part literal(String text) {
        return new Literal(text.getBytes(StandardCharsets.UTF_8));
    }

    /** One of {@code texts}, written exactly (a function's name among those offered). */
    public static Part oneOf(List<String> texts) {
        return new OneOf(texts.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList());
    }

    public static Part json(JsonSchema schema) {
        return new Json(schema);
    }

    /** Where a reply stands: its part, the position in a literal one, the matcher of a JSON one. */
    private static final class State {
        int part;
        /** Bytes written of a literal, or of a choice (then also in {@link #spelled}). */
        int position;
        byte[] spelled = new byte[64];
        final JsonMatcher[] matchers;
        /** Before the marker: how much of it the text so far ends with. */
        int gateMatched;
        boolean gated;

        State(JsonMatcher[] matchers) {
            this.matchers = matchers;
        }

        void spell(byte b) {
            if (position == spelled.length) {
                spelled = java.util.Arrays.copyOf(spelled, spelled.length * 2);
            }
            spelled[position++] = b;
        }

        void copyFrom(State other) {
            part = other.part;
            position = other.position;
            if (spelled.length < other.spelled.length) {
                spelled = new byte[other.spelled.length];
            }
            System.arraycopy(other.spelled, 0, spelled, 0, position);
            gateMatched = other.gateMatched;
            gated = other.gated;
            JsonMatcher source = other.part < matchers.length ? other.matchers[other.part] : null;
            if (source != null) {
                matchers[part].copyFrom(source);
            }
        }
    }

    private final TokenTexts texts;
    private final Part[] parts;
    /** A matcher at the start of each JSON part (null for literals), copied where that part begins. */
    private final JsonMatcher[] starts;
    private final byte[] gate;
    /** {@code gateFallback[i]}: how much of the marker still matches after a mismatch at {@code i} (KMP). */
    private final int[] gateFallback;
    private final State live;
    private final State scratch;

    /**
     * @param gate the marker that ends free text before the first part; null when the reply starts
     *             with it
     */
    public OutputConstraint(TokenTexts texts, List<Part> parts, String gate) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a constraint needs a part");
        }
        this.texts = texts;
        this.parts = parts.toArray(Part[]::new);
        this.starts = new JsonMatcher[this.parts.length];
        JsonMatcher[] liveMatchers = new JsonMatcher[this.parts.length];
        JsonMatcher[] scratchMatchers = new JsonMatcher[this.parts.length];
        for (int i = 0; i < this.parts.length; i++) {
            if (this.parts[i] instanceof Json j) {
                starts[i] = new JsonMatcher(j.schema());
                liveMatchers[i] = new JsonMatcher(j.schema());
                scratchMatchers[i] = new JsonMatcher(j.schema());
            } else if (this.parts[i] instanceof Literal l && l.text().length == 0
                    || this.parts[i] instanceof OneOf o && o.texts().stream().anyMatch(t -> t.length == 0)) {
                throw new IllegalArgumentException("a literal part needs text");
            }
        }
        this.gate = gate == null ? null : gate.getBytes(StandardCharsets.UTF_8);
        this.gateFallback = this.gate == null ? null : fallback(this.gate);
        this.live = new State(liveMatchers);
        this.scratch = new State(scratchMatchers);
        live.gated = this.gate != null;
    }

    /** The JSON parts' schemas and the literals between them, for a reply held to one value. */
    public static List<Part> jsonOnly(JsonSchema schema) {
        List<Part> parts = new ArrayList<>();
        parts.add(json(schema));
        return parts;
    }

    @Override
    public boolean allows(int token) {
        if (finished()) {
            return false;
        }
        scratch.copyFrom(live);
        return advance(scratch, token);
    }

    /**
     * Masks by first byte: a byte that cannot come next refuses every plain token starting with it
     * at once (after a value only {@code ,} {@code }} {@code ]} and blanks can, inside a key only the
     * properties' next letters), so only the tokens starting with an allowed byte are tried one by
     * one.
     */
    @Override
    public void mask(float[] logits) {
        if (finished() || live.gated) {
            TokenConstraint.super.mask(logits);
            return;
        }
        for (int b = 0; b < 256; b++) {
            int[] group = texts.startingWith(b);
            if (group.length == 0) {
                continue;
            }
            scratch.copyFrom(live);
            boolean opens = take(scratch, (byte) b, false);
            for (int t : group) {
                if (logits[t] != Float.NEGATIVE_INFINITY && (!opens || !allows(t))) {
                    logits[t] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        for (int t : texts.special()) {
            if (logits[t] != Float.NEGATIVE_INFINITY && !allows(t)) {
                logits[t] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    @Override
    public void accept(int token) {
        if (!advance(live, token)) {
            throw new IllegalStateException("token " + token + " was not allowed here");
        }
    }

    @Override
    public boolean finished() {
        return !live.gated && live.part == parts.length;
    }

    private boolean advance(State s, int token) {
        byte[] bytes = texts.bytes(token);
        boolean special = texts.isControl(token) || texts.isEndOfGeneration(token);
        int from = 0;
        if (s.gated) {
            if (texts.isEndOfGeneration(token)) {
                return true; // the reply may end before it answers
            }
            from = passGate(s, bytes);
            if (from < 0) {
                return true;
            }
            if (from == bytes.length) {
                return true;
            }
            if (special) {
                return false;
            }
        }
        if (bytes.length == 0) {
            return false; // writes nothing: the reply would not move on
        }
        for (int i = from; i < bytes.length; i++) {
            if (!take(s, bytes[i], special)) {
                return false;
            }
        }
        return true;
    }

    /** One byte of the reply; false when the current part cannot take it. */
    private boolean take(State s, byte b, boolean special) {
        while (s.part < parts.length) {
            switch (parts[s.part]) {
                case Literal l -> {
                    if (l.text()[s.position] != b) {
                        return false;
                    }
                    if (++s.position == l.text().length) {
                        enter(s, s.part + 1);
                    }
                    return true;
                }
                case Json j -> {
                    if (special || !s.matchers[s.part].feed(b)) {
                        return false;
                    }
                    if (s.matchers[s.part].done()) {
                        enter(s, s.part + 1);
                    }
                    return true;
                }
                case OneOf o -> {
                    int written = s.position;
                    boolean goesOn = false;
                    boolean whole = false;
                    for (byte[] t : o.texts()) {
                        if (matches(t, s.spelled, written)) {
                            goesOn |= t.length > written && t[written] == b;
                            whole |= t.length == written;
                        }
                    }
                    if (goesOn) {
                        s.spell(b);
                        if (ends(o, s)) {
                            enter(s, s.part + 1);
                        }
                        return true;
                    }
                    if (!whole) {
                        return false;
                    }
                    enter(s, s.part + 1); // the choice is whole: the byte belongs to the next part
                }
            }
        }
        return false;
    }

    /** Whether what is spelled is one of the texts and none goes on from it. */
    private static boolean ends(OneOf o, State s) {
        boolean whole = false;
        for (byte[] t : o.texts()) {
            if (matches(t, s.spelled, s.position)) {
                if (t.length > s.position) {
                    return false;
                }
                whole = true;
            }
        }
        return whole;
    }

    private static boolean matches(byte[] text, byte[] spelled, int length) {
        if (text.length < length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (text[i] != spelled[i]) {
                return false;
            }
        }
        return true;
    }

    private void enter(State s, int part) {
        s.part = part;
        s.position = 0;
        if (part < parts.length && starts[part] != null) {
            s.matchers[part].copyFrom(starts[part]);
        }
    }

    /** Follows the marker through {@code bytes}; where its end leaves them, or -1 while it is not complete. */
    private int passGate(State s, byte[] bytes) {
        int matched = s.gateMatched;
        for (int i = 0; i < bytes.length; i++) {
            while (matched > 0 && gate[matched] != bytes[i]) {
                matched = gateFallback[matched - 1];
            }
            if (gate[matched] == bytes[i]) {
                matched++;
            }
            if (matched == gate.length) {
                s.gated = false;
                s.gateMatched = 0;
                enter(s, 0);
                return i + 1;
            }
        }
        s.gateMatched = matched;
        return -1;
    }

    private static int[] fallback(byte[] marker) {
        int[] f = new int[marker.length];
        for (int i = 1, k = 0; i < marker.length; i++) {
            while (k > 0 && marker[i] != marker[k]) {
                k = f[k - 1];
            }
            if (marker[i] == marker[k]) {
                k++;
            }
            f[i] = k;
        }
        return f;
    }
}
