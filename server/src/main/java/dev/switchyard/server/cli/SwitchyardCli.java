package dev.switchyard.server.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The {@code switchyard} command line: one subcommand per job. */
@Command(
        name = "switchyard",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Mixture-of-Experts inference server that streams experts from host memory.",
        subcommands = {
                MakeModelCommand.class,
                MakeLoraCommand.class,
                ExportLoraCommand.class,
                InspectCommand.class,
                GgufSplitCommand.class,
                TokenizeCommand.class,
                GenerateCommand.class,
                EmbedCommand.class,
                PerplexityCommand.class,
                BenchCommand.class,
                ServeCommand.class,
                TraceCommand.class,
                SimCommand.class,
                CommandLine.HelpCommand.class,
        },
        footer = {
                "",
                "The ./switchyard launcher also takes: build (build the jar), test (run the test suite),",
                "loadtest (drive a running server; ./switchyard loadtest --help).",
        })
public final class SwitchyardCli implements Runnable {

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print stack traces with errors.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI with the given streams and returns the exit code (tests call this directly). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        boolean verbose = Arrays.asList(args).contains("--verbose");
        CommandLine cli = new CommandLine(new SwitchyardCli());
        cli.setOut(out);
        cli.setErr(err);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler(new CliErrors.ParameterErrors());
        cli.setExecutionExceptionHandler(new CliErrors.ExecutionErrors(verbose));
        return cli.execute(args);
    }
}
