package dev.switchyard.engine.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import com.hubspot.jinjava.objects.SafeString;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Properties;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.misc.NumberOperations;
import jinjava.de.odysseus.el.misc.TypeConverter;
import jinjava.de.odysseus.el.tree.TreeBuilder;
import jinjava.de.odysseus.el.tree.impl.Builder;
import jinjava.de.odysseus.el.tree.impl.Parser;
import jinjava.de.odysseus.el.tree.impl.ast.AstBinary;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.javax.el.ExpressionFactory;

/**
 * jinjava whose expressions convert values ({@link PythonTypeConverter}) and apply some operators
 * as Python does: {@code ==}/{@code !=} hold values of different kinds unequal instead of
 * coercing them ({@code "x" != 1} is true where jinjava fails to make a number of "x"), and a
 * bool equals 0 or 1; {@code *} repeats strings and lists ({@code '=' * 3}); {@code %} formats
 * strings ({@code '%s!' % name}) and takes the divisor's sign. jinjava fixes its expression
 * factory in its constructor, so it is rebuilt here as jinjava builds it (its extended syntax,
 * default cache), with our converter and a parser that swaps in these operators.
 */
final class PythonicJinjava extends Jinjava {

    private final ExpressionFactory expressionFactory;

    PythonicJinjava(JinjavaConfig config) {
        super(config);
        Properties properties = new Properties();
        properties.setProperty(TreeBuilder.class.getName(), PythonSyntaxBuilder.class.getName());
        this.expressionFactory = new ExpressionFactoryImpl(properties, new PythonTypeConverter());
    }

    @Override
    public ExpressionFactory getExpressionFactory() {
        return expressionFactory;
    }

    /** jinjava's syntax with Python's equality; instantiated by the factory by class name. */
    public static final class PythonSyntaxBuilder extends ExtendedSyntaxBuilder {

        private static final long serialVersionUID = 1L;

        public PythonSyntaxBuilder(Builder.Feature... features) {
            super(features);
        }

        @Override
        protected Parser createParser(String expression) {
            return new ExtendedParser(this, expression) {
                @Override
                protected AstBinary createAstBinary(AstNode left, AstNode right, AstBinary.Operator operator) {
                    if (operator == AstBinary.EQ) {
                        operator = PythonEquality.EQ;
                    } else if (operator == AstBinary.NE) {
                        operator = PythonEquality.NE;
                    } else if (operator == AstBinary.MUL) {
                        operator = PythonArithmetic.MUL;
                    } else if (operator == AstBinary.MOD) {
                        operator = PythonArithmetic.MOD;
                    }
                    return super.createAstBinary(left, right, operator);
                }
            };
        }
    }

    /** Python's {@code ==} and {@code !=}. */
    static final class PythonEquality extends AstBinary.SimpleOperator {

        static final PythonEquality EQ = new PythonEquality(false);
        static final PythonEquality NE = new PythonEquality(true);

        private final boolean negated;

        private PythonEquality(boolean negated) {
            this.negated = negated;
        }

        @Override
        protected Object apply(TypeConverter converter, Object a, Object b) {
            return equal(a, b) != negated;
        }

        static boolean equal(Object a, Object b) {
            if (a instanceof SafeString s) {
                a = s.toString();
            }
            if (b instanceof SafeString s) {
                b = s.toString();
            }
            if (a == null || b == null) {
                return a == b;
            }
            if (isNumeric(a) && isNumeric(b)) {
                return toBigDecimal(a).compareTo(toBigDecimal(b)) == 0;
            }
            if (a instanceof CharSequence && b instanceof CharSequence) {
                return a.toString().equals(b.toString());
            }
            if (isNumeric(a) || isNumeric(b) || a instanceof CharSequence || b instanceof CharSequence) {
                return false;
            }
            return a.equals(b);
        }

        private static boolean isNumeric(Object o) {
            return o instanceof Number || o instanceof Boolean;
        }

        private static BigDecimal toBigDecimal(Object o) {
            return switch (o) {
                case Boolean bool -> bool ? BigDecimal.ONE : BigDecimal.ZERO;
                case BigDecimal d -> d;
                case BigInteger i -> new BigDecimal(i);
                case Double d when d.isNaN() || d.isInfinite() -> BigDecimal.valueOf(Long.MAX_VALUE).add(BigDecimal.ONE);
                case Float f when f.isNaN() || f.isInfinite() -> BigDecimal.valueOf(Long.MAX_VALUE).add(BigDecimal.ONE);
                case Double d -> new BigDecimal(d);
                case Float f -> new BigDecimal(f);
                case Number n -> BigDecimal.valueOf(n.longValue());
                default -> throw new IllegalArgumentException(String.valueOf(o));
            };
        }

        @Override
        public String toString() {
            return negated ? "!=" : "==";
        }
    }

    /** Python's {@code *} (sequence repetition) and {@code %} (string formatting, floored modulo). */
    static final class PythonArithmetic extends AstBinary.SimpleOperator {

        static final PythonArithmetic MUL = new PythonArithmetic('*');
        static final PythonArithmetic MOD = new PythonArithmetic('%');

        private final char symbol;

        private PythonArithmetic(char symbol) {
            this.symbol = symbol;
        }

        @Override
        protected Object apply(TypeConverter converter, Object a, Object b) {
            if (symbol == '*') {
                if (a instanceof CharSequence s && isInteger(b)) {
                    return s.toString().repeat(Math.max(0, ((Number) b).intValue()));
                }
                if (isInteger(a) && b instanceof CharSequence s) {
                    return s.toString().repeat(Math.max(0, ((Number) a).intValue()));
                }
                if (a instanceof java.util.List<?> list && isInteger(b)) {
                    java.util.List<Object> out = new java.util.ArrayList<>();
                    for (int i = 0; i < ((Number) b).intValue(); i++) {
                        out.addAll(list);
                    }
                    return out;
                }
                return NumberOperations.mul(converter, a, b);
            }
            if (a instanceof CharSequence s) {
                return PythonStrings.percentFormat(s.toString(), b);
            }
            if (isInteger(a) && isInteger(b) && ((Number) b).longValue() != 0) {
                return Math.floorMod(((Number) a).longValue(), ((Number) b).longValue());
            }
            if (a instanceof Number x && b instanceof Number y && y.doubleValue() != 0) {
                double d = y.doubleValue();
                double r = x.doubleValue() % d;
                return r != 0 && (r < 0) != (d < 0) ? r + d : r;
            }
            return NumberOperations.mod(converter, a, b);
        }

        private static boolean isInteger(Object o) {
            return o instanceof Long || o instanceof Integer || o instanceof Short || o instanceof Byte
                    || o instanceof BigInteger;
        }

        @Override
        public String toString() {
            return String.valueOf(symbol);
        }
    }
}
