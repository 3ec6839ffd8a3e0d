package dev.switchyard.loadtest.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** One in-process run of the command with its exit code and captured streams. */
record CliRun(int exitCode, String out, String err) {

    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = LoadTestCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new CliRun(code, out.toString(), err.toString());
    }
}
