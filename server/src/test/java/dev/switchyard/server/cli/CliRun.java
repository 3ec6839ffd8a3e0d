package dev.switchyard.server.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

/** One in-process run of the CLI with its exit code and captured streams. */
record CliRun(int exitCode, String out, String err) {

    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SwitchyardCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new CliRun(code, out.toString(), err.toString());
    }

    /** Writes a Mixtral-style model of {@code layers} layers and {@code context} positions to {@code file}. */
    static Path mixtral(Path file, int layers, int context) {
        CliRun run = of("make-model", "--arch", "mixtral", "--layers", Integer.toString(layers), "--context",
                Integer.toString(context), "-o", file.toString());
        if (run.exitCode() != 0) {
            throw new IllegalStateException("make-model failed: " + run.err());
        }
        return file;
    }
}
