package dev.switchyard.engine.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * jinja2's {@code iterable} and {@code sequence} tests, which hold for strings and dicts as well:
 * Llama 3.x's {@code message.content is mapping or message.content is iterable} picks
 * {@code tojson} for a string content, so its tool results are printed as JSON strings.
 */
final class PythonTests {

    private PythonTests() {}

    static List<ExpTest> all() {
        return List.of(new Iterable(), new Sequence());
    }

    static final class Iterable implements ExpTest {
        @Override
        public String getName() {
            return "iterable";
        }

        @Override
        public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
            return var instanceof CharSequence || var instanceof java.lang.Iterable<?> || var instanceof Map<?, ?>
                    || var instanceof Iterator<?> || (var != null && var.getClass().isArray());
        }
    }

    static final class Sequence implements ExpTest {
        @Override
        public String getName() {
            return "sequence";
        }

        @Override
        public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
            return var instanceof CharSequence || var instanceof java.util.Collection<?> || var instanceof Map<?, ?>
                    || (var != null && var.getClass().isArray());
        }
    }
}
