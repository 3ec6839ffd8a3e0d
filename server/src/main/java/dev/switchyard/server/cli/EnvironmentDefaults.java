package dev.switchyard.server.cli;

import java.util.Locale;
import java.util.function.UnaryOperator;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every long option's environment twin: {@code --max-seqs} defaults to {@code $SWITCHYARD_MAX_SEQS},
 * so a container is configured without a command line. A flag given on the command line wins over
 * its variable; a variable wins over the built-in default.
 */
final class EnvironmentDefaults implements IDefaultValueProvider {

    private final UnaryOperator<String> environment;

    EnvironmentDefaults() {
        this(System::getenv);
    }

    EnvironmentDefaults(UnaryOperator<String> environment) {
        this.environment = environment;
    }

    /** {@code --max-seqs} -> {@code SWITCHYARD_MAX_SEQS}. */
    static String variableFor(String longOption) {
        return "SWITCHYARD_" + longOption.substring(2).toUpperCase(Locale.ROOT).replace('-', '_');
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option) || option.usageHelp() || option.versionHelp()) {
            return null;
        }
        String name = option.longestName();
        return name.startsWith("--") ? environment.apply(variableFor(name)) : null;
    }
}
