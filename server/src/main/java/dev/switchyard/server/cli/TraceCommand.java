package dev.switchyard.server.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code switchyard trace}: record, synthesize and inspect routing traces. */
@Command(name = "trace", mixinStandardHelpOptions = true,
        description = "Routing traces: which experts each token used in each layer, for the cache simulator.",
        subcommands = {TraceRecordCommand.class, TraceSynthCommand.class, TraceStatsCommand.class})
final class TraceCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: record, synth or stats");
    }
}
