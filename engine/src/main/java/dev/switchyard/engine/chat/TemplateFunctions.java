package dev.switchyard.engine.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.Locale;

/**
 * The globals Hugging Face gives chat templates: {@code raise_exception(message)}, which rejects
 * the conversation, and {@code strftime_now(format)}, the current time in Python's
 * {@code strftime} format (Llama 3.x prints "Today Date: 26 Jul 2024" with it). Both find the
 * render they belong to through {@link RenderState}, bound under {@link RenderState#KEY}. Also
 * jinja2's {@code dict(...)} global.
 */
final class TemplateFunctions {

    private TemplateFunctions() {}

    /** Thrown to stop the render where jinjava lets an exception stop it. */
    static final class TemplateRaised extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TemplateRaised(String message) {
            super(message, null, false, false);
        }
    }

    /** Bound as {@code raise_exception}. */
    public static Object raiseException(Object message) {
        String text = PythonFormat.str(message);
        RenderState state = RenderState.current();
        if (state != null) {
            state.raise(text);
        }
        throw new TemplateRaised(text);
    }

    /** Bound as {@code dict}: {@code dict(a=1, b=2)}, jinja2's global (jinjava has none). */
    public static Object dict(Object... params) {
        java.util.Map<String, Object> map = new java.util.LinkedHashMap<>();
        for (Object p : params) {
            if (!(p instanceof com.hubspot.jinjava.el.ext.NamedParameter named)) {
                throw new ChatTemplateException("dict() takes keyword arguments only");
            }
            map.put(named.getName(), named.getValue());
        }
        return map;
    }

    /** Bound as {@code strftime_now}. */
    public static String strftimeNow(String format) {
        RenderState state = RenderState.current();
        ZonedDateTime now = state != null ? state.now() : ZonedDateTime.now();
        return strftime(now, format);
    }

    /**
     * Python's {@code strftime} for the directives templates use (C locale): %a %A %b %B %d %e
     * %H %I %j %m %M %p %S %y %Y %z %Z %%, and glibc's %-d/%-m/%-H/%-I/%-M/%-S without padding.
     */
    static String strftime(ZonedDateTime t, String format) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 >= format.length()) {
                sb.append(c);
                continue;
            }
            char d = format.charAt(++i);
            boolean pad = true;
            if (d == '-' && i + 1 < format.length()) {
                pad = false;
                d = format.charAt(++i);
            }
            switch (d) {
                case 'a' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.US));
                case 'A' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US));
                case 'b', 'h' -> sb.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.US));
                case 'B' -> sb.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.US));
                case 'd' -> sb.append(number(t.getDayOfMonth(), 2, pad));
                case 'e' -> sb.append(pad ? String.format("%2d", t.getDayOfMonth()) : t.getDayOfMonth());
                case 'H' -> sb.append(number(t.getHour(), 2, pad));
                case 'I' -> sb.append(number(t.getHour() % 12 == 0 ? 12 : t.getHour() % 12, 2, pad));
                case 'j' -> sb.append(number(t.getDayOfYear(), 3, pad));
                case 'm' -> sb.append(number(t.getMonthValue(), 2, pad));
                case 'M' -> sb.append(number(t.getMinute(), 2, pad));
                case 'p' -> sb.append(t.getHour() < 12 ? "AM" : "PM");
                case 'S' -> sb.append(number(t.getSecond(), 2, pad));
                case 'y' -> sb.append(number(t.getYear() % 100, 2, pad));
                case 'Y' -> sb.append(t.getYear());
                case 'z' -> sb.append(t.getOffset().getId().equals("Z") ? "+0000" : t.getOffset().getId().replace(":", ""));
                case 'Z' -> sb.append(t.getZone().getId());
                case '%' -> sb.append('%');
                default -> sb.append('%').append(pad ? "" : "-").append(d);
            }
        }
        return sb.toString();
    }

    private static String number(int value, int width, boolean pad) {
        String s = Integer.toString(value);
        return pad && s.length() < width ? "0".repeat(width - s.length()) + s : s;
    }

    /** The render's mutable state, reached from the current interpreter's context. */
    static final class RenderState {
        static final String KEY = "__switchyard_render_state";

        private final ZonedDateTime now;
        private String raised;

        RenderState(ZonedDateTime now) {
            this.now = now;
        }

        ZonedDateTime now() {
            return now;
        }

        /** The first message a raise_exception call gave, or null. */
        String raised() {
            return raised;
        }

        void raise(String message) {
            if (raised == null) {
                raised = message;
            }
        }

        static RenderState current() {
            JinjavaInterpreter interpreter = JinjavaInterpreter.getCurrent();
            if (interpreter == null) {
                return null;
            }
            return interpreter.getContext().get(KEY) instanceof RenderState s ? s : null;
        }
    }
}
