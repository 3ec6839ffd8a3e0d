package dev.switchyard.loadtest.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;

/**
 * Failures as one line on standard error and the launcher's exit codes: 2 for a bad command line
 * (naming the flag), 1 for bad input or an unreachable server, 70 for a bug. Stack traces with --verbose.
 */
final class CliErrors {

    static final int BAD_INPUT = 1;
    static final int USAGE = 2;
    static final int INTERNAL = 70;

    private CliErrors() {
    }

    static final class ParameterErrors implements CommandLine.IParameterExceptionHandler {
        @Override
        public int handleParseException(CommandLine.ParameterException ex, String[] args) {
            CommandLine cmd = ex.getCommandLine();
            String name = cmd.getCommandSpec().qualifiedName();
            cmd.getErr().println(name + ": " + ex.getMessage() + " (see '" + name + " --help')");
            return USAGE;
        }
    }

    static final class ExecutionErrors implements CommandLine.IExecutionExceptionHandler {
        private final boolean verbose;

        ExecutionErrors(boolean verbose) {
            this.verbose = verbose;
        }

        @Override
        public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parseResult) {
            Throwable cause = ex instanceof UncheckedIOException u ? u.getCause() : ex;
            boolean userError = cause instanceof IOException || cause instanceof IllegalArgumentException;
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": "
                    + (userError ? "error: " : "internal error: ") + describe(cause));
            if (verbose) {
                ex.printStackTrace(cmd.getErr());
            }
            return userError ? BAD_INPUT : INTERNAL;
        }

        private static String describe(Throwable t) {
            return switch (t) {
                case NoSuchFileException e -> "no such file: " + e.getFile();
                case ConnectException e -> "cannot connect to the server" + (e.getMessage() != null ? " (" + e.getMessage() + ")" : "");
                default -> t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
            };
        }
    }
}
