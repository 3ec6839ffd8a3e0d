package dev.switchyard.engine.structured;

import dev.switchyard.engine.structured.JsonSchema.AnyValue;
import dev.switchyard.engine.structured.JsonSchema.ArraySchema;
import dev.switchyard.engine.structured.JsonSchema.Literals;
import dev.switchyard.engine.structured.JsonSchema.NumberSchema;
import dev.switchyard.engine.structured.JsonSchema.ObjectSchema;
import dev.switchyard.engine.structured.JsonSchema.Reference;
import dev.switchyard.engine.structured.JsonSchema.StringSchema;
import dev.switchyard.engine.structured.JsonSchema.Union;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Follows one JSON value, byte by byte, through a {@link JsonSchema}: a pushdown automaton whose
 * stack is held in primitive arrays, so that {@link #copyFrom} (what trying a token costs) copies a
 * few numbers per open bracket and allocates nothing.
 *
 * <p>{@link #feed} takes the next byte and says whether the value may go on that way; a refused
 * byte leaves the matcher unusable, so callers try bytes on a copy. {@link #done} holds once the
 * whole value has been read: its closing bracket, since roots are objects or arrays. Keys are
 * checked as they are spelled (a key no property starts with is refused at its first wrong byte),
 * duplicate keys are refused, and an object closes only once its required properties are there.
 * Whitespace between tokens is JSON's, at most {@value #MAX_WHITESPACE} bytes in a row (room for
 * a newline and the indentation of pretty-printed output), so a model cannot run on in blanks.
 */
public final class JsonMatcher {

    /** Open brackets and the value being read, at most. */
    public static final int MAX_DEPTH = 64;
    static final int MAX_WHITESPACE = 24;
    /**
     * Before the value, one blank at most: a SentencePiece vocabulary's word-initial tokens carry
     * a space, and more is never needed.
     */
    static final int MAX_LEADING_WHITESPACE = 1;

    private static final byte VALUE = 0;
    private static final byte OBJECT = 1;
    private static final byte ARRAY = 2;
    private static final byte STRING = 3;
    private static final byte KEY = 4;
    private static final byte NUMBER = 5;
    private static final byte LITERAL = 6;

    // object modes
    private static final byte O_FIRST = 0;
    private static final byte O_KEY_START = 1;
    private static final byte O_COLON = 2;
    private static final byte O_VALUE = 3;
    private static final byte O_NEXT = 4;
    // array modes
    private static final byte A_FIRST = 0;
    private static final byte A_VALUE = 1;
    private static final byte A_NEXT = 2;
    // string modes
    private static final byte S_BODY = 0;
    private static final byte S_ESCAPE = 1;
    // S_HEX + n: n hex digits still to come
    private static final byte S_HEX = 2;

    private static final ObjectSchema ANY_OBJECT = ObjectSchema.anyObject();
    private static final ArraySchema ANY_ARRAY = new ArraySchema(new AnyValue(), 0, Integer.MAX_VALUE);
    private static final StringSchema ANY_STRING = new StringSchema(0, Integer.MAX_VALUE);
    private static final NumberSchema ANY_NUMBER = new NumberSchema(false);
    private static final Literals TRUE = literal("true");
    private static final Literals FALSE = literal("false");
    private static final Literals NULL = literal("null");

    private final JsonSchema[] schema = new JsonSchema[MAX_DEPTH];
    private final byte[] kind = new byte[MAX_DEPTH];
    private final byte[] mode = new byte[MAX_DEPTH];
    /** Arrays: items read; strings: characters read. */
    private final int[] count = new int[MAX_DEPTH];
    /** Objects: bit i, property i was read. */
    private final long[] seen = new long[MAX_DEPTH];
    /** Objects: the property whose value is being read, -1 for another key. */
    private final int[] current = new int[MAX_DEPTH];
    private int depth;
    /** The key or literal being spelled. */
    private byte[] spelled = new byte[64];
    private int spelledLength;
    /** A key spelled with an escape cannot be a property's name (none has one). */
    private boolean keyEscaped;
    private int whitespace;
    private boolean done;
    /**
     * The string being read, where its schema has a pattern: its decoded text in the pattern; or the
     * integer being read, where it has bounds: its digits in the pattern of the range.
     */
    private final RegexCursor text = new RegexCursor();
    /** The value of a {@code \}{@code u} escape's hexadecimal digits so far. */
    private int hexValue;

    /** A matcher at the start of a value of {@code root}. */
    public JsonMatcher(JsonSchema root) {
        push(VALUE, root);
    }

    /** Becomes a copy of {@code other}'s state (the same schema), allocating only if its spelling grew. */
    public void copyFrom(JsonMatcher other) {
        int d = other.depth;
        System.arraycopy(other.schema, 0, schema, 0, d);
        System.arraycopy(other.kind, 0, kind, 0, d);
        System.arraycopy(other.mode, 0, mode, 0, d);
        System.arraycopy(other.count, 0, count, 0, d);
        System.arraycopy(other.seen, 0, seen, 0, d);
        System.arraycopy(other.current, 0, current, 0, d);
        depth = d;
        if (spelled.length < other.spelledLength) {
            spelled = new byte[other.spelled.length];
        }
        System.arraycopy(other.spelled, 0, spelled, 0, other.spelledLength);
        spelledLength = other.spelledLength;
        keyEscaped = other.keyEscaped;
        whitespace = other.whitespace;
        done = other.done;
        text.copyFrom(other.text);
        hexValue = other.hexValue;
    }

    /** Whether the whole value has been read. */
    public boolean done() {
        return done;
    }

    /** Takes the next byte; false when the value cannot go on with it (the matcher is then spent). */
    public boolean feed(byte b) {
        if (done) {
            return false;
        }
        while (true) {
            int step = step(b);
            if (step != AGAIN) {
                return step == TAKEN;
            }
        }
    }

    private static final int TAKEN = 0;
    private static final int REFUSED = 1;
    /** The top frame ended without taking the byte: its parent takes it. */
    private static final int AGAIN = 2;

    private int step(byte b) {
        int top = depth - 1;
        // JSON's blanks but the carriage return, which no one needs a model to write
        boolean blank = b == ' ' || b == '\n' || b == '\t';
        if (blank && kind[top] != STRING && kind[top] != KEY && kind[top] != NUMBER && kind[top] != LITERAL) {
            int most = top == 0 && kind[top] == VALUE ? MAX_LEADING_WHITESPACE : MAX_WHITESPACE;
            return ++whitespace <= most ? TAKEN : REFUSED;
        }
        if (kind[top] != STRING && kind[top] != KEY) {
            whitespace = 0;
        }
        return switch (kind[top]) {
            case VALUE -> value(top, b);
            case OBJECT -> object(top, b);
            case ARRAY -> array(top, b);
            case STRING, KEY -> string(top, b);
            case NUMBER -> number(top, b);
            default -> literal(top, b);
        };
    }

    private int value(int top, byte b) {
        JsonSchema s = schema[top];
        while (s instanceof Reference r) {
            s = r.target;
        }
        if (s instanceof Union u) {
            s = u.byFirstByte().get(b);
            if (s == null) {
                return REFUSED;
            }
            while (s instanceof Reference r) {
                s = r.target;
            }
        }
        if (s instanceof AnyValue) {
            s = switch (b) {
                case '{' -> ANY_OBJECT;
                case '[' -> ANY_ARRAY;
                case '"' -> ANY_STRING;
                case 't' -> TRUE;
                case 'f' -> FALSE;
                case 'n' -> NULL;
                default -> b == '-' || (b >= '0' && b <= '9') ? ANY_NUMBER : null;
            };
            if (s == null) {
                return REFUSED;
            }
        }
        depth--; // the pending value becomes the value itself
        switch (s) {
            case ObjectSchema o when b == '{' -> {
                push(OBJECT, o);
                mode[depth - 1] = O_FIRST;
                return TAKEN;
            }
            case ArraySchema a when b == '[' -> {
                push(ARRAY, a);
                mode[depth - 1] = A_FIRST;
                return TAKEN;
            }
            case StringSchema str when b == '"' -> {
                push(STRING, str);
                if (str.pattern() != null) {
                    text.start(str.pattern());
                }
                return TAKEN;
            }
            case NumberSchema n when b == '-' || (b >= '0' && b <= '9') -> {
                push(NUMBER, n);
                if (n.range() != null) {
                    text.start(n.range());
                }
                return AGAIN;
            }
            case Literals l -> {
                push(LITERAL, l);
                spelledLength = 0;
                return AGAIN;
            }
            default -> {
                return REFUSED;
            }
        }
    }

    private int object(int top, byte b) {
        ObjectSchema o = (ObjectSchema) schema[top];
        switch (mode[top]) {
            case O_FIRST, O_NEXT -> {
                if (b == '}') {
                    return (seen[top] & o.required) == o.required ? close() : REFUSED;
                }
                if (mode[top] == O_NEXT) {
                    if (b != ',' || !moreKeys(o, seen[top])) {
                        return REFUSED;
                    }
                    mode[top] = O_KEY_START;
                    return TAKEN;
                }
                return b == '"' && moreKeys(o, seen[top]) ? openKey() : REFUSED;
            }
            case O_KEY_START -> {
                return b == '"' ? openKey() : REFUSED;
            }
            case O_COLON -> {
                if (b != ':') {
                    return REFUSED;
                }
                mode[top] = O_VALUE;
                int p = current[top];
                return push(VALUE, p >= 0 ? o.values.get(p) : o.additional) ? TAKEN : REFUSED;
            }
            default -> {
                return REFUSED;
            }
        }
    }

    private static boolean moreKeys(ObjectSchema o, long seenKeys) {
        return o.additional != null || Long.bitCount(seenKeys) < o.size();
    }

    private int openKey() {
        if (!push(KEY, null)) {
            return REFUSED;
        }
        spelledLength = 0;
        keyEscaped = false;
        return TAKEN;
    }

    private int array(int top, byte b) {
        ArraySchema a = (ArraySchema) schema[top];
        if (b == ']' && (mode[top] == A_FIRST || mode[top] == A_NEXT)) {
            return count[top] >= a.minItems() ? close() : REFUSED;
        }
        if (mode[top] == A_NEXT) {
            if (b != ',' || count[top] >= a.maxItems()) {
                return REFUSED;
            }
            mode[top] = A_VALUE;
            return push(VALUE, a.items()) ? TAKEN : REFUSED;
        }
        if (mode[top] == A_FIRST && a.maxItems() > 0) {
            mode[top] = A_VALUE;
            return push(VALUE, a.items()) ? AGAIN : REFUSED;
        }
        return REFUSED;
    }

    private int string(int top, byte b) {
        int m = mode[top];
        boolean key = kind[top] == KEY;
        // a string held to a pattern: each character, raw or escaped, must be one it may take next
        boolean held = !key && ((StringSchema) schema[top]).pattern() != null;
        if (m == S_BODY) {
            if (b == '"') {
                return key ? closeKey(top) : closeString(top);
            }
            if ((b & 0xff) < 0x20) {
                return REFUSED;
            }
            if (b == '\\') {
                // refused now where no escape could follow: a key only property names may spell, a
                // string already at its longest, one whose pattern takes no character an escape writes
                boolean room = key ? objectBelow(top).additional != null
                        : count[top] < ((StringSchema) schema[top]).maxLength() && (!held || text.mayTake(0, 0xFFFF));
                if (!room) {
                    return REFUSED;
                }
                mode[top] = S_ESCAPE;
                return TAKEN;
            }
            if ((b & 0xc0) != 0x80 && !key && ++count[top] > ((StringSchema) schema[top]).maxLength()) {
                return REFUSED;
            }
            if (held && !text.takeByte(b)) {
                return REFUSED;
            }
            return key ? spellKey(top, b) : TAKEN;
        }
        if (m == S_ESCAPE) {
            if ("\"\\/bfnrtu".indexOf(b) < 0) {
                return REFUSED;
            }
            if (held && (b == 'u' ? !text.mayTake(0, 0xFFFF) : !text.take(unescaped(b)))) {
                return REFUSED;
            }
            if (key) {
                keyEscaped = true;
            } else {
                count[top]++;
            }
            mode[top] = b == 'u' ? (byte) (S_HEX + 4) : S_BODY;
            hexValue = 0;
            return TAKEN;
        }
        int digit = Character.digit(b, 16);
        if (digit < 0) {
            return REFUSED;
        }
        if (held) {
            // the character the escape may still become; surrogates (halves of a pair) are refused
            int value = hexValue << 4 | digit;
            int left = m - S_HEX - 1;
            boolean may = left > 0 ? text.mayTake(value << 4 * left, (value + 1 << 4 * left) - 1)
                    : (value < 0xD800 || value > 0xDFFF) && text.take(value);
            if (!may) {
                return REFUSED;
            }
            hexValue = value;
        }
        mode[top] = m == S_HEX + 1 ? S_BODY : (byte) (m - 1);
        return TAKEN;
    }

    /** The character a one-letter escape writes. */
    private static int unescaped(byte letter) {
        return switch (letter) {
            case 'b' -> '\b';
            case 'f' -> '\f';
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            default -> letter; // " \\ /
        };
    }

    private ObjectSchema objectBelow(int top) {
        return (ObjectSchema) schema[top - 1];
    }

    /** A byte of a key: refused when no property left could be spelled so and no other key may appear. */
    private int spellKey(int top, byte b) {
        if (keyEscaped) {
            return TAKEN;
        }
        if (spelledLength == spelled.length) {
            spelled = Arrays.copyOf(spelled, spelled.length * 2);
        }
        spelled[spelledLength++] = b;
        ObjectSchema o = objectBelow(top);
        if (o.additional != null) {
            return TAKEN;
        }
        long taken = seen[top - 1];
        for (int p = 0; p < o.size(); p++) {
            if ((taken & (1L << p)) == 0 && Spellings.startsWith(o.nameBytes.get(p), spelled, spelledLength)) {
                return TAKEN;
            }
        }
        return REFUSED;
    }

    private int closeKey(int top) {
        ObjectSchema o = objectBelow(top);
        int parent = top - 1;
        int match = -1;
        if (!keyEscaped) {
            for (int p = 0; p < o.size(); p++) {
                byte[] name = o.nameBytes.get(p);
                if (name.length == spelledLength && Spellings.startsWith(name, spelled, spelledLength)) {
                    match = p;
                    break;
                }
            }
        }
        if (match >= 0 && (seen[parent] & (1L << match)) != 0) {
            return REFUSED; // the same key twice
        }
        if (match < 0 && o.additional == null) {
            return REFUSED;
        }
        if (match >= 0) {
            seen[parent] |= 1L << match;
        }
        current[parent] = match;
        mode[parent] = O_COLON;
        depth--;
        return TAKEN;
    }

    private int closeString(int top) {
        StringSchema str = (StringSchema) schema[top];
        boolean matched = str.pattern() == null || text.atMatch();
        return count[top] >= str.minLength() && matched ? close() : REFUSED;
    }

    private int number(int top, byte b) {
        NumberSchema n = (NumberSchema) schema[top];
        boolean integer = n.integer();
        boolean digit = b >= '0' && b <= '9';
        int next = switch (mode[top]) {
            case 0 -> b == '-' ? 1 : b == '0' ? 2 : digit ? 3 : -1;
            case 1 -> b == '0' ? 2 : digit ? 3 : -1;
            case 2 -> !integer && b == '.' ? 4 : !integer && (b == 'e' || b == 'E') ? 6 : -1;
            case 3 -> digit ? 3 : !integer && b == '.' ? 4 : !integer && (b == 'e' || b == 'E') ? 6 : -1;
            case 4 -> digit ? 5 : -1;
            case 5 -> digit ? 5 : b == 'e' || b == 'E' ? 6 : -1;
            case 6 -> b == '+' || b == '-' ? 7 : digit ? 8 : -1;
            case 7, 8 -> digit ? 8 : -1;
            default -> -1;
        };
        if (next >= 0) {
            // an integer's bounds: a digit only while some integer within them still begins so
            if (n.range() != null && !text.takeByte(b)) {
                return REFUSED;
            }
            mode[top] = (byte) next;
            return TAKEN;
        }
        int m = mode[top];
        boolean whole = (m == 2 || m == 3 || m == 5 || m == 8) && (n.range() == null || text.atMatch());
        return whole && pop() ? AGAIN : REFUSED;
    }

    private int literal(int top, byte b) {
        List<byte[]> texts = ((Literals) schema[top]).texts();
        if (Spellings.goesOn(texts, spelled, spelledLength, b)) {
            if (spelledLength == spelled.length) {
                spelled = Arrays.copyOf(spelled, spelled.length * 2);
            }
            spelled[spelledLength++] = b;
            return Spellings.ends(texts, spelled, spelledLength) ? close() : TAKEN;
        }
        return Spellings.isOne(texts, spelled, spelledLength) && pop() ? AGAIN : REFUSED;
    }

    /** The top frame's value is whole and took the byte that ended it. */
    private int close() {
        return pop() ? TAKEN : REFUSED;
    }

    /** Ends the top frame; its parent moves on. Always true, for use in expressions. */
    private boolean pop() {
        depth--;
        whitespace = 0;
        if (depth == 0) {
            done = true;
            return true;
        }
        int parent = depth - 1;
        if (kind[parent] == OBJECT) {
            mode[parent] = O_NEXT;
        } else if (kind[parent] == ARRAY) {
            mode[parent] = A_NEXT;
            count[parent]++;
        }
        return true;
    }

    private boolean push(byte k, JsonSchema s) {
        if (depth == MAX_DEPTH) {
            return false;
        }
        schema[depth] = s;
        kind[depth] = k;
        mode[depth] = 0;
        count[depth] = 0;
        seen[depth] = 0;
        current[depth] = -1;
        depth++;
        return true;
    }

    private static Literals literal(String text) {
        return new Literals(List.of(text.getBytes(StandardCharsets.UTF_8)));
    }
}
