package dev.switchyard.engine.chat;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's {@code str} methods and indexing, which chat templates call ({@code
 * content.split('</think>')[-1].lstrip('\n')}, {@code role.startswith('tool')}, {@code s[0]}) and
 * which jinjava would otherwise hand to {@link String}'s Java methods, with Java semantics
 * ({@code split} takes a regex and drops trailing empty parts) or no method at all. Placed before
 * jinjava's default resolvers; anything it does not know it leaves unresolved for them. Also
 * {@code dict.items()/keys()/values()/get()} with Python results.
 */
final class PythonMethodResolver extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(method instanceof String name)) {
            return null;
        }
        Object[] args = params == null ? new Object[0] : params;
        Object result;
        if (base instanceof String s) {
            result = invokeString(s, name, args);
        } else if (base instanceof Map<?, ?> m) {
            result = invokeMap(m, name, args);
        } else {
            return null;
        }
        if (result == NOT_HANDLED) {
            return null;
        }
        context.setPropertyResolved(true);
        return result;
    }

    private static final Object NOT_HANDLED = new Object();

    private static Object invokeString(String s, String name, Object[] a) {
        return switch (name) {
            case "startswith" -> a.length >= 1 ? matchesAffix(s, a[0], true) : NOT_HANDLED;
            case "endswith" -> a.length >= 1 ? matchesAffix(s, a[0], false) : NOT_HANDLED;
            case "strip" -> PythonStrings.strip(s, charsArg(a), true, true);
            case "lstrip" -> PythonStrings.strip(s, charsArg(a), true, false);
            case "rstrip" -> PythonStrings.strip(s, charsArg(a), false, true);
            case "split" -> PythonStrings.split(s, charsArg(a), a.length >= 2 ? toInt(a[1]) : -1);
            case "rsplit" -> PythonStrings.rsplit(s, charsArg(a), a.length >= 2 ? toInt(a[1]) : -1);
            case "splitlines" -> PythonStrings.splitlines(s);
            case "upper" -> s.toUpperCase(java.util.Locale.ROOT);
            case "lower" -> s.toLowerCase(java.util.Locale.ROOT);
            case "title" -> PythonStrings.title(s);
            case "capitalize" -> s.isEmpty() ? s
                    : s.substring(0, 1).toUpperCase(java.util.Locale.ROOT) + s.substring(1).toLowerCase(java.util.Locale.ROOT);
            case "replace" -> a.length >= 2
                    ? PythonStrings.replace(s, PythonFormat.str(a[0]), PythonFormat.str(a[1]), a.length >= 3 ? toInt(a[2]) : -1)
                    : NOT_HANDLED;
            case "find" -> a.length >= 1 ? (long) s.indexOf(PythonFormat.str(a[0])) : NOT_HANDLED;
            case "rfind" -> a.length >= 1 ? (long) s.lastIndexOf(PythonFormat.str(a[0])) : NOT_HANDLED;
            case "count" -> a.length >= 1 ? (long) PythonStrings.count(s, PythonFormat.str(a[0])) : NOT_HANDLED;
            case "join" -> a.length == 1 ? PythonStrings.join(s, a[0]) : NOT_HANDLED;
            case "format" -> PythonStrings.format(s, a);
            case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isalpha" -> !s.isEmpty() && s.chars().allMatch(Character::isLetter);
            case "isalnum" -> !s.isEmpty() && s.chars().allMatch(Character::isLetterOrDigit);
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(PythonStrings::isSpace);
            case "islower" -> s.chars().anyMatch(Character::isLowerCase) && s.equals(s.toLowerCase(java.util.Locale.ROOT));
            case "isupper" -> s.chars().anyMatch(Character::isUpperCase) && s.equals(s.toUpperCase(java.util.Locale.ROOT));
            default -> NOT_HANDLED;
        };
    }

    private static Object invokeMap(Map<?, ?> m, String name, Object[] a) {
        return switch (name) {
            case "items" -> a.length == 0 ? new ArrayList<>(m.entrySet()) : NOT_HANDLED;
            case "keys" -> a.length == 0 ? new ArrayList<>(m.keySet()) : NOT_HANDLED;
            case "values" -> a.length == 0 ? new ArrayList<>(m.values()) : NOT_HANDLED;
            case "get" -> a.length == 1 || a.length == 2
                    ? (m.containsKey(a[0]) ? m.get(a[0]) : a.length == 2 ? a[1] : null)
                    : NOT_HANDLED;
            default -> NOT_HANDLED;
        };
    }

    private static boolean matchesAffix(String s, Object affixes, boolean prefix) {
        List<Object> options = PythonFormat.asList(affixes);
        for (Object o : options == null ? List.of(affixes) : options) {
            String affix = PythonFormat.str(o);
            if (prefix ? s.startsWith(affix) : s.endsWith(affix)) {
                return true;
            }
        }
        return false;
    }

    /** The optional first argument (characters to strip, separator), null when absent or None. */
    private static String charsArg(Object[] a) {
        return a.length >= 1 && a[0] != null ? PythonFormat.str(a[0]) : null;
    }

    private static int toInt(Object o) {
        return o instanceof Number n ? n.intValue() : Integer.parseInt(String.valueOf(o).strip());
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        if (base instanceof String s && property != null) {
            Integer index = integerProperty(property);
            if (index != null) {
                int i = index < 0 ? index + s.length() : index;
                if (i >= 0 && i < s.length()) {
                    context.setPropertyResolved(true);
                    return String.valueOf(s.charAt(i));
                }
            }
        }
        return null;
    }

    private static Integer integerProperty(Object property) {
        if (property instanceof Integer || property instanceof Long) {
            return ((Number) property).intValue();
        }
        if (property instanceof String p && p.matches("-?\\d{1,9}")) {
            return Integer.parseInt(p);
        }
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // Not ours: left unresolved for the next resolver.
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return Collections.emptyIterator();
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
