package dev.switchyard.engine.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * LFM2's calls: a list of Python calls with keyword arguments between {@code <|tool_call_start|>}
 * and {@code <|tool_call_end|>}, {@code [get_weather(city="Paris", days=3), now()]}. Argument values
 * are Python literals (strings in either quote with backslash escapes, numbers, {@code True},
 * {@code False}, {@code None}, lists, tuples and dicts), or the JSON that LFM2.5's template writes
 * for mappings ({@code true}, {@code false}, {@code null}); they become the JSON object OpenAI's
 * {@code function.arguments} holds. A positional argument, a repeated keyword, or anything but a
 * literal (a name, an expression) leaves the block in the content as written. The markers are
 * control tokens, rendered for this format.
 */
final class PythonCallsFormat extends BlockFormat {

    static final String CALL_START = "<|tool_call_start|>";
    static final String CALL_END = "<|tool_call_end|>";

    PythonCallsFormat() {
        super(CALL_START, CALL_END);
    }

    /** Whether what follows a call's opener reads as the start of a list of Python calls. */
    static boolean opensCallList(String fromMarker) {
        String rest = fromMarker.substring(CALL_START.length()).stripLeading();
        return rest.startsWith("[") || !rest.isEmpty() && Character.isJavaIdentifierStart(rest.charAt(0));
    }

    @Override
    public List<ToolCall> parse(int opener, String body, ToolSchemas schemas) {
        try {
            return new Reader(body).calls();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public List<String> markers() {
        return List.of(CALL_START, CALL_END);
    }

    /** A recursive-descent reader over one block's body; throws IllegalArgumentException where it does not read. */
    private static final class Reader {

        private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
        /** How deep lists and dicts may nest: a cut-off or runaway reply ends in a refusal, not a stack overflow. */
        private static final int MAX_DEPTH = 64;

        private final String s;
        private int at;

        Reader(String s) {
            this.s = s;
        }

        /** {@code [call, ...]}, or one call without brackets; nothing else around it. */
        List<ToolCall> calls() {
            List<ToolCall> calls = new ArrayList<>();
            skipSpace();
            boolean listed = take('[');
            skipSpace();
            if (listed && take(']')) {
                throw new IllegalArgumentException("no calls");
            }
            do {
                calls.add(call());
                skipSpace();
            } while (listed && take(','));
            if (listed) {
                expect(']');
            }
            skipSpace();
            if (at != s.length()) {
                throw new IllegalArgumentException("text after the calls");
            }
            return calls;
        }

        private ToolCall call() {
            skipSpace();
            String name = dottedName();
            skipSpace();
            expect('(');
            ObjectNode arguments = NODES.objectNode();
            skipSpace();
            if (!take(')')) {
                do {
                    skipSpace();
                    String key = identifier();
                    skipSpace();
                    expect('=');
                    if (arguments.has(key)) {
                        throw new IllegalArgumentException("keyword " + key + " repeated");
                    }
                    arguments.set(key, value(0));
                    skipSpace();
                } while (take(','));
                expect(')');
            }
            return new ToolCall(name, arguments.toString());
        }

        private JsonNode value(int depth) {
            if (depth > MAX_DEPTH) {
                throw new IllegalArgumentException("nested too deep");
            }
            skipSpace();
            if (at >= s.length()) {
                throw new IllegalArgumentException("a value is cut off");
            }
            char c = s.charAt(at);
            if (c == '"' || c == '\'') {
                return NODES.textNode(string());
            }
            if (c == '[' || c == '(') {
                at++;
                char close = c == '[' ? ']' : ')';
                ArrayNode list = NODES.arrayNode();
                skipSpace();
                while (!take(close)) {
                    list.add(value(depth + 1));
                    skipSpace();
                    if (!take(',')) {
                        expect(close);
                        break;
                    }
                    skipSpace();
                }
                return list;
            }
            if (c == '{') {
                at++;
                ObjectNode map = NODES.objectNode();
                skipSpace();
                while (!take('}')) {
                    skipSpace();
                    if (at >= s.length() || s.charAt(at) != '"' && s.charAt(at) != '\'') {
                        throw new IllegalArgumentException("a dict key that is not a string");
                    }
                    String key = string();
                    skipSpace();
                    expect(':');
                    map.set(key, value(depth + 1));
                    skipSpace();
                    if (!take(',')) {
                        expect('}');
                        break;
                    }
                    skipSpace();
                }
                return map;
            }
            if (c == '-' || c == '+' || c == '.' || Character.isDigit(c)) {
                return number();
            }
            String word = identifier();
            return switch (word) {
                case "True", "true" -> NODES.booleanNode(true);
                case "False", "false" -> NODES.booleanNode(false);
                case "None", "null" -> NODES.nullNode();
                default -> throw new IllegalArgumentException("'" + word + "' is not a literal");
            };
        }

        /** A quoted string with Python's backslash escapes (\\n, \\t, \\r, \\\\, quotes, \\xNN, \\uNNNN, \\UNNNNNNNN). */
        private String string() {
            char quote = s.charAt(at++);
            StringBuilder out = new StringBuilder();
            while (true) {
                if (at >= s.length()) {
                    throw new IllegalArgumentException("a string is cut off");
                }
                char c = s.charAt(at++);
                if (c == quote) {
                    return out.toString();
                }
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                if (at >= s.length()) {
                    throw new IllegalArgumentException("a string is cut off");
                }
                char e = s.charAt(at++);
                switch (e) {
                    case 'n' -> out.append('\n');
                    case 't' -> out.append('\t');
                    case 'r' -> out.append('\r');
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case '0' -> out.append('\0');
                    case '\\', '\'', '"' -> out.append(e);
                    case '\n' -> { } // a line continuation
                    case 'x' -> out.appendCodePoint(hex(2));
                    case 'u' -> out.appendCodePoint(hex(4));
                    case 'U' -> out.appendCodePoint(hex(8));
                    default -> out.append('\\').append(e); // Python keeps unknown escapes as written
                }
            }
        }

        private int hex(int digits) {
            if (at + digits > s.length()) {
                throw new IllegalArgumentException("an escape is cut off");
            }
            int value;
            try {
                value = Integer.parseUnsignedInt(s.substring(at, at + digits), 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("a bad escape");
            }
            if (!Character.isValidCodePoint(value)) {
                throw new IllegalArgumentException("an escape beyond Unicode");
            }
            at += digits;
            return value;
        }

        /** An int (as a JSON integer, any size) or a float (its digits kept), Python's underscores allowed. */
        private JsonNode number() {
            int start = at;
            if (s.charAt(at) == '-' || s.charAt(at) == '+') {
                at++;
            }
            while (at < s.length() && (Character.isDigit(s.charAt(at)) || "._eE".indexOf(s.charAt(at)) >= 0
                    || (s.charAt(at) == '-' || s.charAt(at) == '+') && "eE".indexOf(s.charAt(at - 1)) >= 0)) {
                at++;
            }
            String text = s.substring(start, at).replace("_", "");
            if (text.startsWith("+")) {
                text = text.substring(1);
            }
            try {
                if (text.matches("-?\\d+")) {
                    return NODES.numberNode(new BigInteger(text));
                }
                BigDecimal d = new BigDecimal(text);
                return NODES.numberNode(d);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "' is not a number");
            }
        }

        private String dottedName() {
            StringBuilder name = new StringBuilder(identifier());
            while (at < s.length() && s.charAt(at) == '.') {
                at++;
                name.append('.').append(identifier());
            }
            return name.toString();
        }

        private String identifier() {
            int start = at;
            if (at < s.length() && Character.isJavaIdentifierStart(s.charAt(at)) && s.charAt(at) != '$') {
                at++;
                while (at < s.length() && Character.isJavaIdentifierPart(s.charAt(at)) && s.charAt(at) != '$') {
                    at++;
                }
            }
            if (start == at) {
                throw new IllegalArgumentException("a name expected at " + at);
            }
            return s.substring(start, at);
        }

        private void skipSpace() {
            while (at < s.length() && Character.isWhitespace(s.charAt(at))) {
                at++;
            }
        }

        private boolean take(char c) {
            if (at < s.length() && s.charAt(at) == c) {
                at++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            if (!take(c)) {
                throw new IllegalArgumentException("'" + c + "' expected at " + at);
            }
        }
    }
}
