package dev.switchyard.server.cli;

import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code --hybrid on|off}, shared by generate, bench and serve beside the offloading flags (not by
 * trace record, whose live cache is compared with the simulator, which knows no host path).
 */
final class HybridOption {

    @Option(names = "--hybrid", defaultValue = "off", paramLabel = "on|off", converter = OnOff.class,
            description = "Hybrid execution of expert misses: compute a missing expert on the host CPU, from host memory, "
                    + "when a cost model (the copy's time over the link against the host's measured rate for that many "
                    + "tokens) says that is faster, and then do not copy it. Helps with few tokens per expert (decode), "
                    + "a slow link or large experts. Needs --expert-memory and matters only below 100%%, where experts "
                    + "miss (default: ${DEFAULT-VALUE}).")
    String hybrid = "off";

    boolean enabled() {
        return hybrid.equals("on");
    }

    /** "on" or "off", in any case (a bad value is a usage error, reported as picocli reports them). */
    static final class OnOff implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            String v = value.strip().toLowerCase(Locale.ROOT);
            if (!v.equals("on") && !v.equals("off")) {
                throw new TypeConversionException("expected on or off but was '" + value + "'");
            }
            return v;
        }
    }
}
