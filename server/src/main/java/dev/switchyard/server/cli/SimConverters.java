package dev.switchyard.server.cli;

import dev.switchyard.cache.predict.Predictors;
import dev.switchyard.cache.sim.Policies;
import dev.switchyard.cache.timing.DeviceProfile;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Command-line values of {@code sim} and {@code trace}, checked while parsing so that a bad one is
 * a usage error (exit 2) naming the value and what would have been accepted.
 */
final class SimConverters {

    private SimConverters() {
    }

    /** A share of all experts: {@code 25%} or {@code 0.25}, above 0 and at most 100%. */
    static final class CacheFraction implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            String v = value.strip();
            double fraction;
            try {
                fraction = v.endsWith("%") ? Double.parseDouble(v.substring(0, v.length() - 1)) / 100 : Double.parseDouble(v);
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is not a cache size (write 25% or 0.25)");
            }
            if (!(fraction > 0 && fraction <= 1)) {
                throw new TypeConversionException("cache size '" + value + "' must be above 0 and at most 100%");
            }
            return fraction;
        }
    }

    static final class PolicyName implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            if (!Policies.exists(value)) {
                throw new TypeConversionException("unknown policy '" + value + "' (choose from " + Policies.names() + ")");
            }
            return value;
        }
    }

    static final class PredictorName implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            if (!Predictors.exists(value)) {
                throw new TypeConversionException("unknown predictor '" + value + "' (choose from " + Predictors.names() + ")");
            }
            return value;
        }
    }

    static final class DeviceName implements ITypeConverter<DeviceProfile> {
        @Override
        public DeviceProfile convert(String value) {
            try {
                return DeviceProfile.named(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
