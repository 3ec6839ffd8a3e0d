package dev.switchyard.engine.structured;

import dev.switchyard.engine.sampling.TokenConstraint;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Holds one reply to a sequence of parts: text written exactly ({@link #literal}), one of several
 * texts ({@link #oneOf}), a JSON value of a schema ({@link #json}, or {@link #jsonByChoice}: the
 * schema of the text the last choice took), or free text up to a marker ({@link #freeUntil}: the
 * reply's reasoning, which ends with {@code </think>}; the text before a tool call's opening), or
 * text matching a regular expression ({@link #regex}: the reply may end, with an end-of-generation
 * token, wherever the text is a whole match, and ends by itself where nothing may follow), or a
 * sentence of a context-free grammar ({@link #grammar}, which ends the same way).
 * The reply is finished once its last part is, and the sampler then ends the sequence with no need
 * for an end-of-generation token; or, where the parts repeat, the reply goes back to a free part and
 * runs on (each tool call held, the text between them free).
 *
 * <p>A token may come next when its bytes carry the reply on: through a literal's next bytes, a
 * choice's, what the JSON may be, or anywhere in free text (a token that completes its marker must
 * carry the rest into the next part). Control and end-of-generation tokens may spell a literal or
 * a choice (harmony's {@code <|call|>}, Mistral's {@code [TOOL_CALLS]}) and appear in free text;
 * inside JSON they are refused. Trying a token copies the state into scratch and allocates nothing.
 */
public final class OutputConstraint implements TokenConstraint {

    /** One part of the reply. */
    public sealed interface Part {
    }

    private record Literal(byte[] text) implements Part {
    }

    private record Json(JsonSchema schema) implements Part {
    }

    private record JsonByChoice(List<JsonSchema> schemas) implements Part {
    }

    private record OneOf(List<byte[]> texts) implements Part {
    }

    private record Regex(RegexPattern pattern) implements Part {
    }

    private record Rules(Grammar grammar) implements Part {
    }

    /**
     * {@code fallback[i]}: how much of the marker still matches after a mismatch at {@code i} (KMP);
     * {@code budget}: the tokens it may take before only its marker may follow (-1: no limit).
     */
    private record Free(byte[] marker, int[] fallback, int budget) implements Part {
    }

    /** Any text, to the reply's end. */
    private record Rest() implements Part {
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

    /** A JSON value of {@code schemas.get(i)}, where the last {@link #oneOf} took its {@code i}-th text. */
    public static Part jsonByChoice(List<JsonSchema> schemas) {
        return new JsonByChoice(List.copyOf(schemas));
    }

    /** Text that is a whole match of {@code pattern} (the reply's last part). */
    public static Part regex(RegexPattern pattern) {
        return new Regex(pattern);
    }

    /** Text that is a whole sentence of {@code grammar} (the reply's last part). */
    public static Part grammar(Grammar grammar) {
        return new Rules(grammar);
    }

    /** Free text, ended by {@code marker} (which belongs to it). */
    public static Part freeUntil(String marker) {
        return freeUntil(marker, -1);
    }

    /**
     * Free text, ended by {@code marker}, of at most {@code budget} tokens before the marker (a
     * reasoning budget): once they are spent, only the rest of the marker may be written, whatever
     * the model would rather say, and the reply may not end before it. -1: no limit.
     */
    public static Part freeUntil(String marker, int budget) {
        byte[] m = marker.getBytes(StandardCharsets.UTF_8);
        if (m.length == 0) {
            throw new IllegalArgumentException("free text needs a marker to end it");
        }
        if (budget < -1) {
            throw new IllegalArgumentException("a budget is -1 or at least 0 tokens");
        }
        return new Free(m, fallback(m), budget);
    }

    /** Any text to the reply's end (the reply's last part: what follows a budgeted reasoning). */
    public static Part rest() {
        return new Rest();
    }

    /** Where a reply stands: its part, the position in it, the matcher of a JSON one. */
    private static final class State {
        int part;
        /** Bytes written of a literal or a choice (then also in {@link #spelled}), of a free part's marker. */
        int position;
        byte[] spelled = new byte[64];
        /** The text the last choice took, or -1. */
        int chosen = -1;
        /** Tokens taken whole within the current part; and parts entered so far (a token that entered one restarts the count). */
        int partTokens;
        int entered;
        final JsonMatcher[] matchers;
        /** Where the text stands in a regular expression part, or in a grammar's. */
        final RegexCursor regex = new RegexCursor();
        final GrammarCursor grammar = new GrammarCursor();

        State(int parts) {
            this.matchers = new JsonMatcher[parts];
        }

        void spell(byte b) {
            if (position == spelled.length) {
                spelled = Arrays.copyOf(spelled, spelled.length * 2);
            }
            spelled[position++] = b;
        }

        void copyFrom(State other) {
            part = other.part;
            position = other.position;
            chosen = other.chosen;
            partTokens = other.partTokens;
            entered = other.entered;
            if (spelled.length < other.spelled.length) {
                spelled = new byte[other.spelled.length];
            }
            System.arraycopy(other.spelled, 0, spelled, 0, Math.min(position, other.spelled.length));
            if (part < matchers.length && other.matchers[part] != null) {
                matchers[part].copyFrom(other.matchers[part]);
            }
            regex.copyFrom(other.regex); // nothing to copy where no part is a regular expression
            grammar.copyFrom(other.grammar);
        }
    }

    private final TokenTexts texts;
    private final Part[] parts;
    /** Per JSON part, a matcher at the start of each schema it may take, copied where that part begins. */
    private final JsonMatcher[][] starts;
    /** The part a finished last part leads back to, or -1 where the reply ends with it. */
    private final int repeatFrom;
    private final State live;
    private final State scratch;
    /** The parse of a grammar part, shared by the live state and its trials; null where there is none. */
    private EarleyChart chart;

    /** A reply that is the parts once, after free text up to {@code gate} when it is not null. */
    public OutputConstraint(TokenTexts texts, List<Part> parts, String gate) {
        this(texts, gate == null ? parts : withGate(gate, parts), -1);
    }

    /**
     * @param repeatFrom the part the reply goes back to once its last part is written (a free one),
     *                   or -1 where the reply ends there
     */
    public OutputConstraint(TokenTexts texts, List<Part> parts, int repeatFrom) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a constraint needs a part");
        }
        if (repeatFrom >= parts.size() || (repeatFrom >= 0 && !(parts.get(repeatFrom) instanceof Free))) {
            throw new IllegalArgumentException("a reply repeats from a free part");
        }
        this.texts = texts;
        this.parts = parts.toArray(Part[]::new);
        this.repeatFrom = repeatFrom;
        this.starts = new JsonMatcher[this.parts.length][];
        this.live = new State(this.parts.length);
        this.scratch = new State(this.parts.length);
        for (int i = 0; i < this.parts.length; i++) {
            List<JsonSchema> schemas = switch (this.parts[i]) {
                case Json j -> List.of(j.schema());
                case JsonByChoice c -> c.schemas();
                case Literal l -> {
                    if (l.text().length == 0) {
                        throw new IllegalArgumentException("a literal part needs text");
                    }
                    yield null;
                }
                case OneOf o -> {
                    if (o.texts().isEmpty() || o.texts().stream().anyMatch(t -> t.length == 0)) {
                        throw new IllegalArgumentException("a choice needs texts");
                    }
                    yield null;
                }
                case Free f -> null;
                case Rest r -> {
                    if (i != this.parts.length - 1 || repeatFrom >= 0) {
                        throw new IllegalArgumentException("the rest of a reply is its last part");
                    }
                    yield null;
                }
                case Regex r -> {
                    if (i != this.parts.length - 1) {
                        throw new IllegalArgumentException("a regular expression is a reply's last part");
                    }
                    live.regex.start(r.pattern()); // sizes both cursors before any token
                    scratch.regex.start(r.pattern());
                    yield null;
                }
                case Rules r -> {
                    if (i != this.parts.length - 1 || repeatFrom >= 0) {
                        throw new IllegalArgumentException("a grammar is the last part of a reply that ends with it");
                    }
                    chart = new EarleyChart(r.grammar());
                    texts.sortedPlain(); // sorted once per vocabulary: here, where the reply is made, not in a step
                    live.grammar.start(chart);
                    scratch.grammar.start(chart);
                    yield null;
                }
            };
            if (schemas != null) {
                starts[i] = schemas.stream().map(JsonMatcher::new).toArray(JsonMatcher[]::new);
                live.matchers[i] = new JsonMatcher(schemas.getFirst());
                scratch.matchers[i] = new JsonMatcher(schemas.getFirst());
            }
        }
        enter(live, 0);
    }

    /** The parts of a reply held to one value. */
    public static List<Part> jsonOnly(JsonSchema schema) {
        return List.of(json(schema));
    }

    private static List<Part> withGate(String gate, List<Part> parts) {
        List<Part> gated = new ArrayList<>();
        gated.add(freeUntil(gate));
        gated.addAll(parts);
        return gated;
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
     * one. In free text every token is asked.
     */
    @Override
    public void mask(float[] logits) {
        if (finished() || parts[live.part] instanceof Rest
                || parts[live.part] instanceof Free f && !budgetSpent(live, f)) {
            TokenConstraint.super.mask(logits);
            return;
        }
        if (parts[live.part] instanceof Rules) {
            scratch.copyFrom(live);
            scratch.grammar.maskPlain(texts, logits);
            maskSpecial(logits);
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
        maskSpecial(logits);
    }

    private void maskSpecial(float[] logits) {
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
        return live.part == parts.length;
    }

    /** Whether a free part's budget is spent: only the rest of its marker may follow. */
    private static boolean budgetSpent(State s, Free f) {
        return f.budget() >= 0 && s.partTokens >= f.budget();
    }

    private boolean advance(State s, int token) {
        int entered = s.entered;
        if (!takeToken(s, token)) {
            return false;
        }
        s.partTokens = s.entered == entered ? s.partTokens + 1 : 0;
        return true;
    }

    private boolean takeToken(State s, int token) {
        byte[] bytes = texts.bytes(token);
        boolean eog = texts.isEndOfGeneration(token);
        boolean special = texts.isControl(token) || eog;
        if (parts[s.part] instanceof Rest) {
            return true;
        }
        if (parts[s.part] instanceof Free f && (eog || bytes.length == 0)) {
            return !budgetSpent(s, f); // the reply may end, or pass a silent token, in free text
        }
        if (eog && parts[s.part] instanceof Regex) {
            return s.regex.atMatch(); // the reply may end on a whole match
        }
        if (eog && parts[s.part] instanceof Rules) {
            return s.grammar.atMatch();
        }
        if (bytes.length == 0) {
            return false; // writes nothing: the reply would not move on
        }
        for (byte b : bytes) {
            if (!take(s, b, special)) {
                return false;
            }
        }
        return true;
    }

    /** One byte of the reply; false when the current part cannot take it. */
    private boolean take(State s, byte b, boolean special) {
        while (s.part < parts.length) {
            switch (parts[s.part]) {
                case Rest r -> {
                    return true;
                }
                case Free f -> {
                    if (budgetSpent(s, f)) { // only the marker's rest, as a literal
                        if (f.marker()[s.position] != b) {
                            return false;
                        }
                        if (++s.position == f.marker().length) {
                            next(s);
                        }
                        return true;
                    }
                    int matched = s.position;
                    while (matched > 0 && f.marker()[matched] != b) {
                        matched = f.fallback()[matched - 1];
                    }
                    if (f.marker()[matched] == b) {
                        matched++;
                    }
                    s.position = matched;
                    if (matched == f.marker().length) {
                        next(s);
                    }
                    return true;
                }
                case Literal l -> {
                    if (l.text()[s.position] != b) {
                        return false;
                    }
                    if (++s.position == l.text().length) {
                        next(s);
                    }
                    return true;
                }
                case Json j -> {
                    return json(s, b, special);
                }
                case Regex r -> {
                    if (special || !s.regex.takeByte(b)) {
                        return false;
                    }
                    if (s.regex.ended()) {
                        next(s);
                    }
                    return true;
                }
                case JsonByChoice c -> {
                    return json(s, b, special);
                }
                case Rules r -> {
                    if (special || !s.grammar.takeByte(b)) {
                        return false;
                    }
                    if (s.grammar.ended()) {
                        next(s);
                    }
                    return true;
                }
                case OneOf o -> {
                    if (Spellings.goesOn(o.texts(), s.spelled, s.position, b)) {
                        s.spell(b);
                        if (Spellings.ends(o.texts(), s.spelled, s.position)) {
                            choose(o, s);
                        }
                        return true;
                    }
                    if (!Spellings.isOne(o.texts(), s.spelled, s.position)) {
                        return false;
                    }
                    choose(o, s); // the choice is whole: the byte belongs to the next part
                }
            }
        }
        return false;
    }

    private boolean json(State s, byte b, boolean special) {
        JsonMatcher m = s.matchers[s.part];
        if (special || !m.feed(b)) {
            return false;
        }
        if (m.done()) {
            next(s);
        }
        return true;
    }

    /** Records which text the choice took and moves on. */
    private void choose(OneOf o, State s) {
        for (int i = 0; i < o.texts().size(); i++) {
            byte[] t = o.texts().get(i);
            if (t.length == s.position && Spellings.startsWith(t, s.spelled, s.position)) {
                s.chosen = i;
                break;
            }
        }
        next(s);
    }

    /** The part after the current one; past the last, back to the repeated part where there is one. */
    private void next(State s) {
        int part = s.part + 1;
        enter(s, part == parts.length && repeatFrom >= 0 ? repeatFrom : part);
    }

    private void enter(State s, int part) {
        s.part = part;
        s.position = 0;
        s.entered++;
        if (part < parts.length && starts[part] != null) {
            int which = parts[part] instanceof JsonByChoice && s.chosen >= 0 ? s.chosen : 0;
            s.matchers[part].copyFrom(starts[part][which]);
        }
        if (part < parts.length && parts[part] instanceof Regex r) {
            s.regex.start(r.pattern());
        }
        if (part < parts.length && parts[part] instanceof Rules) {
            s.grammar.start(chart);
        }
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
