package dev.switchyard.server.cli;

import dev.switchyard.cache.trace.LocalityStatistics;
import dev.switchyard.cache.trace.RoutingTrace;
import dev.switchyard.cache.trace.TraceHeader;
import dev.switchyard.cache.trace.TraceReader;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code switchyard trace stats}: what a trace holds and how local its routing is. */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = "Print a trace's header and, per layer, how often consecutive tokens of a request keep their first-choice "
                + "expert or share a top-k expert (as Table 5 of the Mixtral paper measures), against random routing.")
final class TraceStatsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE.trace", description = "The trace.")
    Path file;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        RoutingTrace trace = TraceReader.read(file);
        TraceHeader h = trace.header();
        long tokens = trace.steps().stream().mapToLong(s -> s.tokens()).sum();
        out.printf(Locale.ROOT, "%s: %d steps, %d tokens (%d decode), %d layers x %d experts, top-%d%n", file,
                trace.steps().size(), tokens, trace.decodeTokens(), h.layers(), h.experts(), h.topK());
        out.printf(Locale.ROOT, "gate proposals: %s; expert size: %s%n",
                h.gateDepth() == 0 ? "none" : h.gateDepth() + " layer(s) ahead, " + h.gateWidth() + " per token",
                h.expertBytes() == 0 ? "unknown" : String.format(Locale.ROOT, "%.2f MB", h.expertBytes() / 1e6));
        out.println("source: " + h.source());
        LocalityStatistics s = LocalityStatistics.of(trace);
        out.printf(Locale.ROOT, "%-6s %8s %12s %14s%n", "layer", "pairs", "same first", "shared top-" + h.topK());
        for (int l = 0; l < h.layers(); l++) {
            out.printf(Locale.ROOT, "%-6d %8d %11.1f%% %13.1f%%%n", l, s.pairs(l), 100 * s.sameFirstChoice(l),
                    100 * s.sharedTopK(l));
        }
        out.printf(Locale.ROOT, "%-6s %8s %11.1f%% %13.1f%%%n", "random", "", 100 * LocalityStatistics.randomSameFirst(h.experts()),
                100 * LocalityStatistics.randomSharedTopK(h.experts(), h.topK()));
        out.flush();
        return 0;
    }
}
