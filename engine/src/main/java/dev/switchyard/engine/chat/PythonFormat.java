package dev.switchyard.engine.chat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Text forms of template values as Python writes them, because chat templates were written against
 * Python's: {@code str()} (what {@code {{ x }}} prints: {@code True}, {@code None},
 * {@code {'a': 1}}), {@code repr()} and {@code json.dumps} (what Hugging Face's {@code tojson}
 * filter calls, with {@code ensure_ascii=False}).
 */
final class PythonFormat {

    private PythonFormat() {}

    /** Python's {@code str(value)}; null, for a missing value, prints as nothing (jinja2's Undefined). */
    static String str(Object value) {
        if (value == null) {
            return "";
        }
        if (value instanceof CharSequence s) {
            return s.toString();
        }
        return repr(value);
    }

    static String repr(Object value) {
        StringBuilder sb = new StringBuilder();
        appendRepr(sb, value);
        return sb.toString();
    }

    private static void appendRepr(StringBuilder sb, Object value) {
        switch (value) {
            case null -> sb.append("None");
            case Boolean b -> sb.append(b ? "True" : "False");
            case CharSequence s -> appendStringRepr(sb, s.toString());
            case Character c -> appendStringRepr(sb, c.toString());
            case Double d -> sb.append(floatRepr(d));
            case Float f -> sb.append(floatRepr(f.doubleValue()));
            case BigDecimal d -> sb.append(floatRepr(d.doubleValue()));
            case Number n -> sb.append(n.toString());
            case Map<?, ?> m -> {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) {
                        sb.append(", ");
                    }
                    first = false;
                    appendRepr(sb, e.getKey());
                    sb.append(": ");
                    appendRepr(sb, e.getValue());
                }
                sb.append('}');
            }
            case Map.Entry<?, ?> e -> {
                sb.append('(');
                appendRepr(sb, e.getKey());
                sb.append(", ");
                appendRepr(sb, e.getValue());
                sb.append(')');
            }
            default -> {
                List<Object> items = asList(value);
                if (items == null) {
                    sb.append(value);
                    return;
                }
                sb.append('[');
                for (int i = 0; i < items.size(); i++) {
                    if (i > 0) {
                        sb.append(", ");
                    }
                    appendRepr(sb, items.get(i));
                }
                sb.append(']');
            }
        }
    }

    /** Python's repr of a str: single quotes unless the text has a ' and no ". */
    private static void appendStringRepr(StringBuilder sb, String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        sb.append(quote);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c == quote) {
                        sb.append('\\').append(c);
                    } else if (c < 0x20 || c == 0x7f) {
                        sb.append(String.format("\\x%02x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append(quote);
    }

    /** Python's repr of a float: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        BigDecimal exact = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        String digits = exact.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - exact.scale(); // decimal exponent of the first digit
        String sign = d < 0 ? "-" : "";
        if (exponent < -4 || exponent >= 16) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
        }
        String plain = exact.abs().toPlainString();
        return sign + (plain.contains(".") ? plain : plain + ".0");
    }

    /** Python's {@code json.dumps(value, ensure_ascii=False, indent=..., separators=..., sort_keys=...)}. */
    static String json(Object value, Integer indent, String itemSeparator, String keySeparator, boolean sortKeys) {
        if (itemSeparator == null) {
            itemSeparator = indent == null ? ", " : ",";
        }
        if (keySeparator == null) {
            keySeparator = ": ";
        }
        StringBuilder sb = new StringBuilder();
        new JsonWriter(sb, indent, itemSeparator, keySeparator, sortKeys).write(value, 0);
        return sb.toString();
    }

    static String json(Object value) {
        return json(value, null, null, null, false);
    }

    private record JsonWriter(StringBuilder sb, Integer indent, String itemSeparator, String keySeparator,
                              boolean sortKeys) {

        void write(Object value, int depth) {
            switch (value) {
                case null -> sb.append("null");
                case Boolean b -> sb.append(b ? "true" : "false");
                case CharSequence s -> writeString(s.toString());
                case Character c -> writeString(c.toString());
                case Double d -> sb.append(jsonFloat(d));
                case Float f -> sb.append(jsonFloat(f.doubleValue()));
                case BigDecimal d -> sb.append(jsonFloat(d.doubleValue()));
                case Number n -> sb.append(n instanceof BigInteger ? n.toString() : Long.toString(n.longValue()));
                case Map<?, ?> m -> writeObject(m, depth);
                default -> {
                    List<Object> items = asList(value);
                    if (items == null) {
                        writeString(String.valueOf(value));
                    } else {
                        writeArray(items, depth);
                    }
                }
            }
        }

        private static String jsonFloat(double d) {
            if (Double.isNaN(d)) {
                return "NaN";
            }
            if (Double.isInfinite(d)) {
                return d > 0 ? "Infinity" : "-Infinity";
            }
            return floatRepr(d);
        }

        private void writeObject(Map<?, ?> map, int depth) {
            if (map.isEmpty()) {
                sb.append("{}");
                return;
            }
            List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
            if (sortKeys) {
                entries.sort((a, b) -> String.valueOf(a.getKey()).compareTo(String.valueOf(b.getKey())));
            }
            sb.append('{');
            for (int i = 0; i < entries.size(); i++) {
                if (i > 0) {
                    sb.append(itemSeparator);
                }
                newline(depth + 1);
                Map.Entry<?, ?> e = entries.get(i);
                writeString(keyString(e.getKey()));
                sb.append(keySeparator);
                write(e.getValue(), depth + 1);
            }
            newline(depth);
            sb.append('}');
        }

        private static String keyString(Object key) {
            return switch (key) {
                case null -> "null";
                case Boolean b -> b ? "true" : "false";
                default -> key.toString();
            };
        }

        private void writeArray(List<Object> items, int depth) {
            if (items.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append('[');
            for (int i = 0; i < items.size(); i++) {
                if (i > 0) {
                    sb.append(itemSeparator);
                }
                newline(depth + 1);
                write(items.get(i), depth + 1);
            }
            newline(depth);
            sb.append(']');
        }

        private void newline(int depth) {
            if (indent != null) {
                sb.append('\n').append(" ".repeat(indent * depth));
            }
        }

        private void writeString(String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    case '\b' -> sb.append("\\b");
                    case '\f' -> sb.append("\\f");
                    default -> {
                        if (c < 0x20) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            sb.append('"');
        }
    }

    /** The elements of a list-like value (collection, array, iterator), or null when it is not one. */
    static List<Object> asList(Object value) {
        if (value instanceof List<?> l) {
            return new ArrayList<>(l);
        }
        if (value instanceof Collection<?> c) {
            return new ArrayList<>(c);
        }
        if (value instanceof Object[] a) {
            return new ArrayList<>(java.util.Arrays.asList(a));
        }
        if (value instanceof Iterator<?> it) {
            List<Object> out = new ArrayList<>();
            it.forEachRemaining(out::add);
            return out;
        }
        return null;
    }
}
