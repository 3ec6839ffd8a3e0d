package dev.switchyard.loadtest.cli;

import dev.switchyard.loadtest.metrics.Slo;
import dev.switchyard.loadtest.workload.IntRange;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Option values with their own syntax. A {@link TypeConversionException} becomes picocli's usage
 * error "Invalid value for option '--flag': message", so the message names what is wrong.
 */
final class Converters {

    private Converters() {
    }

    /** A request rate: a positive number of requests per second, or {@code inf} for all at once. */
    static final class Rate implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            String v = value.strip().toLowerCase();
            if (v.equals("inf") || v.equals("infinity")) {
                return Double.POSITIVE_INFINITY;
            }
            double rate;
            try {
                rate = Double.parseDouble(v);
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is neither a number of requests per second nor inf");
            }
            if (!(rate > 0) || Double.isNaN(rate)) {
                throw new TypeConversionException("a request rate must be positive, got " + value);
            }
            return rate;
        }
    }

    static final class Range implements ITypeConverter<IntRange> {
        @Override
        public IntRange convert(String value) {
            try {
                return IntRange.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class Objectives implements ITypeConverter<Slo> {
        @Override
        public Slo convert(String value) {
            try {
                return Slo.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
