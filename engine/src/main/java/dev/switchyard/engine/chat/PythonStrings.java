package dev.switchyard.engine.chat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Python {@code str} method semantics for the ones chat templates call. */
final class PythonStrings {

    private PythonStrings() {}

    /** Python's {@code str.isspace} for one character. */
    static boolean isSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x1c || c == 0x1d || c == 0x1e || c == 0x1f
                || c == 0x85;
    }

    /** {@code strip/lstrip/rstrip(chars)}: chars null strips whitespace. */
    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        if (left) {
            while (start < end && strippable(s.charAt(start), chars)) {
                start++;
            }
        }
        if (right) {
            while (end > start && strippable(s.charAt(end - 1), chars)) {
                end--;
            }
        }
        return s.substring(start, end);
    }

    private static boolean strippable(char c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }

    /** {@code split(sep, maxsplit)}: sep null splits on whitespace runs and drops empty parts. */
    static List<String> split(String s, String sep, int maxSplit) {
        List<String> parts = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && isSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    break;
                }
                if (maxSplit >= 0 && parts.size() == maxSplit) {
                    parts.add(strip(s.substring(i), null, false, true));
                    break;
                }
                int j = i;
                while (j < n && !isSpace(s.charAt(j))) {
                    j++;
                }
                parts.add(s.substring(i, j));
                i = j;
            }
            return parts;
        }
        if (sep.isEmpty()) {
            throw new ChatTemplateException("empty separator");
        }
        int from = 0;
        int at;
        while ((maxSplit < 0 || parts.size() < maxSplit) && (at = s.indexOf(sep, from)) >= 0) {
            parts.add(s.substring(from, at));
            from = at + sep.length();
        }
        parts.add(s.substring(from));
        return parts;
    }

    /** {@code rsplit(sep, maxsplit)}: as split, counting splits from the right. */
    static List<String> rsplit(String s, String sep, int maxSplit) {
        if (maxSplit < 0) {
            return split(s, sep, -1);
        }
        if (sep == null) {
            List<String> parts = new ArrayList<>();
            int j = s.length();
            while (true) {
                while (j > 0 && isSpace(s.charAt(j - 1))) {
                    j--;
                }
                if (j == 0) {
                    break;
                }
                if (parts.size() == maxSplit) {
                    parts.add(strip(s.substring(0, j), null, true, false));
                    break;
                }
                int i = j;
                while (i > 0 && !isSpace(s.charAt(i - 1))) {
                    i--;
                }
                parts.add(s.substring(i, j));
                j = i;
            }
            Collections.reverse(parts);
            return parts;
        }
        List<String> parts = new ArrayList<>();
        int to = s.length();
        int at;
        while (parts.size() < maxSplit && (at = s.lastIndexOf(sep, to - sep.length())) >= 0) {
            parts.add(s.substring(at + sep.length(), to));
            to = at;
        }
        parts.add(s.substring(0, to));
        Collections.reverse(parts);
        return parts;
    }

    static List<String> splitlines(String s) {
        List<String> lines = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d || c == 0x1e || c == 0x85
                    || c == 0x2028 || c == 0x2029) {
                lines.add(s.substring(start, i));
                i += (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') ? 2 : 1;
                start = i;
            } else {
                i++;
            }
        }
        if (start < s.length()) {
            lines.add(s.substring(start));
        }
        return lines;
    }

    /** Python's {@code str.title}: upper-case a letter after a non-letter, lower-case the others. */
    static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isLetter(c)) {
                sb.append(previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
                previousCased = true;
            } else {
                sb.append(c);
                previousCased = false;
            }
        }
        return sb.toString();
    }

    static String replace(String s, String old, String replacement, int count) {
        if (count < 0) {
            return s.replace(old, replacement);
        }
        StringBuilder sb = new StringBuilder();
        int from = 0;
        int done = 0;
        int at;
        while (done < count && !old.isEmpty() && (at = s.indexOf(old, from)) >= 0) {
            sb.append(s, from, at).append(replacement);
            from = at + old.length();
            done++;
        }
        return sb.append(s.substring(from)).toString();
    }

    static int count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1;
        }
        int n = 0;
        int from = 0;
        int at;
        while ((at = s.indexOf(sub, from)) >= 0) {
            n++;
            from = at + sub.length();
        }
        return n;
    }

    static String join(String separator, Object items) {
        List<Object> list = PythonFormat.asList(items);
        if (list == null) {
            throw new ChatTemplateException("can only join an iterable");
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < list.size(); i++) {
            if (i > 0) {
                sb.append(separator);
            }
            sb.append(PythonFormat.str(list.get(i)));
        }
        return sb.toString();
    }

    /**
     * {@code str.format} with positional fields: {@code {}}, {@code {0}}, {@code {{}/{@code }}}
     * escapes; a field's conversion and format spec are not supported.
     */
    static String format(String template, Object[] args) {
        StringBuilder sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < template.length(); i++) {
            char c = template.charAt(i);
            if (c == '{' && i + 1 < template.length() && template.charAt(i + 1) == '{') {
                sb.append('{');
                i++;
            } else if (c == '}' && i + 1 < template.length() && template.charAt(i + 1) == '}') {
                sb.append('}');
                i++;
            } else if (c == '{') {
                int close = template.indexOf('}', i);
                if (close < 0) {
                    throw new ChatTemplateException("Single '{' encountered in format string");
                }
                String field = template.substring(i + 1, close);
                int index = field.isEmpty() ? auto++ : parseIndex(field);
                if (index >= args.length) {
                    throw new ChatTemplateException("Replacement index " + index + " out of range for positional args tuple");
                }
                sb.append(PythonFormat.str(args[index]));
                i = close;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static int parseIndex(String field) {
        try {
            return Integer.parseInt(field);
        } catch (NumberFormatException e) {
            throw new ChatTemplateException("unsupported format field {" + field + "}");
        }
    }

    /**
     * printf-style {@code format % args}: {@code %s}, {@code %r}, {@code %d}/{@code %i},
     * {@code %f}/{@code %e}/{@code %g}, {@code %x}, {@code %%}, with flags, width and precision;
     * {@code %(name)s} takes values from a dict. {@code args}: one value, a list (Python's
     * tuple) or a dict.
     */
    static String percentFormat(String format, Object args) {
        List<Object> positional = args instanceof java.util.Map<?, ?> ? List.of()
                : PythonFormat.asList(args) != null ? PythonFormat.asList(args) : java.util.Collections.singletonList(args);
        StringBuilder sb = new StringBuilder();
        int next = 0;
        int i = 0;
        while (i < format.length()) {
            char c = format.charAt(i++);
            if (c != '%') {
                sb.append(c);
                continue;
            }
            if (i >= format.length()) {
                throw new ChatTemplateException("incomplete format");
            }
            Object value = null;
            boolean named = false;
            if (format.charAt(i) == '(') {
                int close = format.indexOf(')', i);
                if (close < 0 || !(args instanceof java.util.Map<?, ?> map)) {
                    throw new ChatTemplateException("format requires a mapping");
                }
                value = map.get(format.substring(i + 1, close));
                named = true;
                i = close + 1;
            }
            int specStart = i;
            while (i < format.length() && "-+ #0123456789.".indexOf(format.charAt(i)) >= 0) {
                i++;
            }
            if (i >= format.length()) {
                throw new ChatTemplateException("incomplete format");
            }
            String spec = format.substring(specStart, i);
            char type = format.charAt(i++);
            if (type == '%') {
                sb.append('%');
                continue;
            }
            if (!named) {
                if (next >= positional.size()) {
                    throw new ChatTemplateException("not enough arguments for format string");
                }
                value = positional.get(next++);
            }
            sb.append(switch (type) {
                case 's' -> String.format("%" + spec + "s", PythonFormat.str(value == null ? "None" : value));
                case 'r' -> String.format("%" + spec + "s", PythonFormat.repr(value));
                case 'd', 'i' -> String.format("%" + spec + "d", toLong(value));
                case 'f', 'F', 'e', 'E', 'g', 'G' -> String.format(java.util.Locale.ROOT, "%" + spec + type, toDouble(value));
                case 'x', 'X', 'o' -> String.format("%" + spec + type, toLong(value));
                default -> throw new ChatTemplateException("unsupported format character '" + type + "'");
            });
        }
        if (next < positional.size() && !(args instanceof java.util.Map<?, ?>)) {
            throw new ChatTemplateException("not all arguments converted during string formatting");
        }
        return sb.toString();
    }

    private static long toLong(Object value) {
        if (value instanceof Boolean b) {
            return b ? 1 : 0;
        }
        if (value instanceof Number n) {
            return n.longValue();
        }
        throw new ChatTemplateException("%d format: a number is required, not " + PythonFormat.repr(value));
    }

    private static double toDouble(Object value) {
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        throw new ChatTemplateException("%f format: a number is required, not " + PythonFormat.repr(value));
    }
}
