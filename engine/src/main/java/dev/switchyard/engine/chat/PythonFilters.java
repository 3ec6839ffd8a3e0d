package dev.switchyard.engine.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Filters whose jinjava versions differ from the jinja2 ones Hugging Face's templates expect. */
final class PythonFilters {

    private PythonFilters() {}

    static List<Filter> all() {
        return List.of(new ToJson(), new Items(), new ToStr(), new Indent(), new Sum(), new Extreme("max"), new Extreme("min"));
    }

    /**
     * {@code tojson} as Hugging Face defines it: {@code json.dumps(x, ensure_ascii=False,
     * indent=None, separators=None, sort_keys=False)}, arguments by keyword or in that order.
     * jinjava's own writes compact JSON (no spaces after separators), which the model never saw.
     */
    static final class ToJson implements Filter {

        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object ensureAscii = argument(args, kwargs, 0, "ensure_ascii");
            Object indent = argument(args, kwargs, 1, "indent");
            Object separators = argument(args, kwargs, 2, "separators");
            Object sortKeys = argument(args, kwargs, 3, "sort_keys");
            String itemSeparator = null;
            String keySeparator = null;
            if (separators != null) {
                List<Object> pair = PythonFormat.asList(separators);
                if (pair == null || pair.size() != 2) {
                    throw new ChatTemplateException("tojson: separators must be a pair of strings");
                }
                itemSeparator = PythonFormat.str(pair.get(0));
                keySeparator = PythonFormat.str(pair.get(1));
            }
            Integer indentWidth = indent instanceof Number n ? Integer.valueOf(n.intValue()) : null;
            String json = PythonFormat.json(var, indentWidth, itemSeparator, keySeparator, truthy(sortKeys));
            return truthy(ensureAscii) ? asciiEscaped(json) : json;
        }

        static Object argument(Object[] args, Map<String, Object> kwargs, int position, String name) {
            if (kwargs != null && kwargs.containsKey(name)) {
                return kwargs.get(name);
            }
            return args != null && position < args.length ? args[position] : null;
        }

        static boolean truthy(Object o) {
            return o instanceof Boolean b ? b : o != null && !"".equals(o) && !Long.valueOf(0).equals(o);
        }

        private static String asciiEscaped(String json) {
            StringBuilder sb = new StringBuilder(json.length());
            for (int i = 0; i < json.length(); i++) {
                char c = json.charAt(i);
                if (c < 0x80) {
                    sb.append(c);
                } else {
                    sb.append(String.format("\\u%04x", (int) c));
                }
            }
            return sb.toString();
        }
    }

    /** jinja2's {@code items}: a mapping's (key, value) pairs; nothing for an undefined value. */
    static final class Items implements Filter {

        @Override
        public String getName() {
            return "items";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (var == null) {
                return List.of();
            }
            if (var instanceof Map<?, ?> m) {
                return new ArrayList<>(m.entrySet());
            }
            throw new ChatTemplateException("items: expected a mapping, got " + PythonFormat.repr(var));
        }
    }

    /** jinja2's {@code string}: Python's {@code str()}, so a dict prints as {@code {'a': 1}} (null, as undefined, as nothing). */
    static final class ToStr implements Filter {

        @Override
        public String getName() {
            return "string";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return PythonFormat.str(var);
        }
    }

    /**
     * jinja2's {@code indent(width=4, first=False, blank=False)}: indents every line but the
     * first (unless {@code first}) and blank lines (unless {@code blank}). jinjava's takes other
     * arguments and rejects {@code first=}.
     */
    static final class Indent implements Filter {

        @Override
        public String getName() {
            return "indent";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object width = ToJson.argument(args, kwargs, 0, "width");
            boolean first = ToJson.truthy(ToJson.argument(args, kwargs, 1, "first"));
            boolean blank = ToJson.truthy(ToJson.argument(args, kwargs, 2, "blank"));
            String indentation = width == null ? "    "
                    : width instanceof Number n ? " ".repeat(n.intValue()) : PythonFormat.str(width);
            List<String> lines = PythonStrings.splitlines(PythonFormat.str(var) + "\n");
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (i > 0) {
                    sb.append('\n');
                    if (blank || !line.isEmpty()) {
                        sb.append(indentation);
                    }
                }
                sb.append(line);
            }
            return first ? indentation + sb : sb.toString();
        }
    }

    /** The items of a filter's input, or of its {@code attribute} when given. */
    private static List<Object> values(Object var, Object attribute) {
        List<Object> items = var == null ? List.of() : PythonFormat.asList(var);
        if (items == null) {
            throw new ChatTemplateException("expected a sequence, got " + PythonFormat.repr(var));
        }
        if (attribute == null) {
            return items;
        }
        List<Object> out = new ArrayList<>(items.size());
        for (Object item : items) {
            out.add(item instanceof Map<?, ?> m ? m.get(PythonFormat.str(attribute)) : null);
        }
        return out;
    }

    /** jinja2's {@code sum(attribute=None, start=0)}: an int while every term is one. */
    static final class Sum implements Filter {

        @Override
        public String getName() {
            return "sum";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object start = ToJson.argument(args, kwargs, 1, "start");
            long whole = start instanceof Number n && !(start instanceof Double || start instanceof Float) ? n.longValue() : 0;
            double fraction = start instanceof Double || start instanceof Float ? ((Number) start).doubleValue() : 0;
            boolean floating = start instanceof Double || start instanceof Float;
            for (Object v : values(var, ToJson.argument(args, kwargs, 0, "attribute"))) {
                if (v instanceof Double || v instanceof Float) {
                    floating = true;
                    fraction += ((Number) v).doubleValue();
                } else if (v instanceof Number n) {
                    whole += n.longValue();
                } else if (v instanceof Boolean b) {
                    whole += b ? 1 : 0;
                } else {
                    throw new ChatTemplateException("sum: unsupported operand " + PythonFormat.repr(v));
                }
            }
            return floating ? (Object) (whole + fraction) : (Object) whole;
        }
    }

    /**
     * jinja2's {@code max}/{@code min(case_sensitive=False, attribute=None)}: numbers by value,
     * strings ignoring case unless asked; nothing for an empty sequence.
     */
    static final class Extreme implements Filter {

        private final String name;

        Extreme(String name) {
            this.name = name;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            boolean caseSensitive = ToJson.truthy(ToJson.argument(args, kwargs, 0, "case_sensitive"));
            Object best = null;
            Object bestKey = null;
            for (Object v : values(var, ToJson.argument(args, kwargs, 1, "attribute"))) {
                Object key = !caseSensitive && v instanceof String s ? s.toLowerCase(java.util.Locale.ROOT) : v;
                if (best == null || (name.equals("max") ? compare(key, bestKey) > 0 : compare(key, bestKey) < 0)) {
                    best = v;
                    bestKey = key;
                }
            }
            return best;
        }

        private static int compare(Object a, Object b) {
            if (a instanceof Number x && b instanceof Number y) {
                return Double.compare(x.doubleValue(), y.doubleValue());
            }
            if (a instanceof String x && b instanceof String y) {
                return x.compareTo(y);
            }
            throw new ChatTemplateException("cannot compare " + PythonFormat.repr(a) + " and " + PythonFormat.repr(b));
        }
    }
}
