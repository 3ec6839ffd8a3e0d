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
import jinjava.de.odysseus.el.misc.TypeConverter;
import jinjava.de.odysseus.el.tree.TreeBuilder;
import jinjava.de.odysseus.el.tree.impl.Builder;
import jinjava.de.odysseus.el.tree.impl.Parser;
import jinjava.de.odysseus.el.tree.impl.ast.AstBinary;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.javax.el.ExpressionFactory;

/**
 * jinjava whose expressions convert values ({@link PythonTypeConverter}) and compare them with
 * {@code ==}/{@code !=} as Python does: values of different kinds are unequal instead of being
 * coerced ({@code "x" != 1} is true where jinjava fails to make a number of "x"), and a bool
 * equals 0 or 1. jinjava fixes its expression factory in its constructor, so it is rebuilt here
 * as jinjava builds it (its extended syntax, default cache), with our converter and a parser that
 * swaps in the two operators.
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
}
