package dev.switchyard.engine.chat;

import com.hubspot.jinjava.el.TruthyTypeConverter;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Map;

/**
 * jinjava's value conversions, changed where Python's differ in ways chat templates meet:
 * <ul>
 *   <li>To a string ({@code ~}, string arguments): {@code True}/{@code False}, Python's repr of
 *       lists and dicts, Python's float repr.
 *   <li>To a number: a bool is 0 or 1, as in Python ({@code true + 1} is 2).
 * </ul>
 */
final class PythonTypeConverter extends TruthyTypeConverter {

    private static final long serialVersionUID = 1L;

    @Override
    protected String coerceToString(Object value) {
        if (value instanceof Boolean || value instanceof Map<?, ?> || value instanceof Collection<?>
                || value instanceof Double || value instanceof Float) {
            return PythonFormat.str(value);
        }
        return super.coerceToString(value);
    }

    @Override
    protected Long coerceToLong(Object value) {
        if (value instanceof Boolean b) {
            return b ? 1L : 0L;
        }
        return super.coerceToLong(value);
    }

    @Override
    protected Integer coerceToInteger(Object value) {
        if (value instanceof Boolean b) {
            return b ? 1 : 0;
        }
        return super.coerceToInteger(value);
    }

    @Override
    protected Double coerceToDouble(Object value) {
        if (value instanceof Boolean b) {
            return b ? 1.0 : 0.0;
        }
        return super.coerceToDouble(value);
    }

    @Override
    protected BigDecimal coerceToBigDecimal(Object value) {
        if (value instanceof Boolean b) {
            return b ? BigDecimal.ONE : BigDecimal.ZERO;
        }
        return super.coerceToBigDecimal(value);
    }

    @Override
    protected BigInteger coerceToBigInteger(Object value) {
        if (value instanceof Boolean b) {
            return b ? BigInteger.ONE : BigInteger.ZERO;
        }
        return super.coerceToBigInteger(value);
    }
}
