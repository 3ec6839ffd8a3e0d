package dev.switchyard.server.cli;

import dev.switchyard.cache.trace.TraceFormatException;
import dev.switchyard.engine.gguf.GgufFormatException;
import dev.switchyard.engine.gguf.MetadataException;
import dev.switchyard.engine.chat.ChatTemplateException;
import dev.switchyard.engine.model.ModelConfigException;
import dev.switchyard.engine.tokenizer.TokenizerException;
import dev.switchyard.kernels.DeviceUnavailableException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;

/**
 * Turns failures into one line on standard error and an exit code: 2 for a bad command line, 1 for
 * bad input (a malformed file, a missing key), 70 for a bug. Stack traces only with --verbose.
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
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + ex.getMessage()
                    + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
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
            String name = cmd.getCommandSpec().qualifiedName();
            boolean userError = isUserError(cause);
            cmd.getErr().println(name + ": " + (userError ? "error: " : "internal error: ") + describe(cause));
            if (verbose) {
                ex.printStackTrace(cmd.getErr());
            }
            return userError ? BAD_INPUT : INTERNAL;
        }

        private static boolean isUserError(Throwable t) {
            return t instanceof IOException
                    || t instanceof ModelConfigException
                    || t instanceof MetadataException
                    || t instanceof TokenizerException
                    || t instanceof ChatTemplateException
                    || t instanceof DeviceUnavailableException
                    || t instanceof IllegalArgumentException
                    || t instanceof UnsupportedOperationException;
        }

        private static String describe(Throwable t) {
            return switch (t) {
                case NoSuchFileException e -> "no such file: " + e.getFile();
                case AccessDeniedException e -> "permission denied: " + e.getFile();
                case GgufFormatException e -> "malformed GGUF file: " + e.getMessage();
                case TraceFormatException e -> "malformed routing trace: " + e.getMessage();
                default -> t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
            };
        }
    }
}
