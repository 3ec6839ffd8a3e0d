package dev.switchyard.loadtest.report;

import dev.switchyard.loadtest.metrics.LatencySummary;
import dev.switchyard.loadtest.metrics.RunSummary;
import dev.switchyard.loadtest.metrics.ServerMetricsReport;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** The human-readable result: one block per run, and a one-line-per-rate table after a sweep. */
public final class ConsoleTable {

    private ConsoleTable() {
    }

    public static void print(PrintWriter out, LoadTestResult result) {
        for (MeasuredRun run : result.runs()) {
            printRun(out, result, run);
        }
        if (result.sweep()) {
            printSweep(out, result.runs());
        }
        if (result.besideBatch() != null) {
            besideBatch(out, result.besideBatch());
        }
        out.flush();
    }

    private static void besideBatch(PrintWriter out, dev.switchyard.loadtest.target.BatchBeside.Report b) {
        out.println("==================== Batch beside the run ================");
        row(out, "Batch", b.id());
        row(out, "Requests", String.valueOf(b.requests()));
        row(out, "Done during the run", String.valueOf(b.doneDuringRun()));
        row(out, "Ended as", b.status() + " (" + b.completed() + " answered, " + b.failed() + " failed)");
        row(out, "Running to its end (s)", b.seconds() == null ? "n/a (cancelled when --timeout passed)"
                : String.valueOf(b.seconds()));
        out.println("==========================================================");
    }

    private static void printRun(PrintWriter out, LoadTestResult result, MeasuredRun run) {
        RunSummary s = run.summary();
        out.println("==================== Load test result ====================");
        row(out, "Target", result.target());
        row(out, "Model", result.model());
        row(out, "Request rate (req/s)", rate(s.offeredRate()) + (s.maxConcurrency() > 0 ? ", at most " + s.maxConcurrency() + " in flight" : ""));
        row(out, "Input lengths", result.inputTokens().method().equals("tokenize")
                ? "counted by the server's /tokenize" : "approximate (no /tokenize: one token per word)");
        row(out, "Duration (s)", f(s.durationS()));
        row(out, "Completed requests", Integer.toString(s.completed()));
        row(out, "Failed requests", s.failed() + (s.failedByKind().isEmpty() ? "" : "  " + s.failedByKind()));
        row(out, "Cancelled requests", Integer.toString(s.cancelled()));
        row(out, "Peak requests in flight", Integer.toString(s.peakInFlight()));
        row(out, "Total input tokens", Long.toString(s.totalInputTokens()));
        row(out, "Total output tokens", s.totalOutputTokens() + ("usage".equals(s.outputTokensSource()) ? "" : "  (" + s.outputTokensSource() + ")"));
        row(out, "Request throughput (req/s)", f(s.requestThroughput()));
        row(out, "Output token throughput (tok/s)", f(s.outputTokenThroughput()));
        row(out, "Total token throughput (tok/s)", f(s.totalTokenThroughput()));
        if (s.goodput() != null) {
            row(out, "Request goodput (req/s)", f(s.goodput()) + "  (" + s.goodRequests() + " within the SLO)");
        }
        out.printf(Locale.ROOT, "%-34s %10s %10s %10s %10s%n", "Latency (ms)", "mean", "p50", "p90", "p99");
        latency(out, "TTFT", s.ttft());
        latency(out, "TPOT", s.tpot());
        latency(out, "ITL", s.itl());
        latency(out, "E2E", s.e2e());
        server(out, run.server());
        out.println("==========================================================");
    }

    private static void server(PrintWriter out, ServerMetricsReport m) {
        if (m == null) {
            return;
        }
        if (m.error() != null) {
            row(out, "Server metrics", "unavailable: " + m.error());
            return;
        }
        row(out, "Server: expert cache hit rate", m.expertCacheHitRate() == null ? "n/a" : f(m.expertCacheHitRate()));
        row(out, "Server: preemptions", m.preemptions() == null ? "n/a" : f(m.preemptions()));
        row(out, "Server: KV usage before/after", opt(m.kvUsageBefore()) + " / " + opt(m.kvUsageAfter()));
    }

    private static void printSweep(PrintWriter out, List<MeasuredRun> runs) {
        out.println();
        out.printf(Locale.ROOT, "%10s %6s %6s %10s %12s %10s %10s %10s %10s%n",
                "rate", "ok", "fail", "req/s", "out tok/s", "TTFT p50", "TTFT p99", "TPOT mean", "E2E p50");
        for (MeasuredRun run : runs) {
            RunSummary s = run.summary();
            out.printf(Locale.ROOT, "%10s %6d %6d %10.2f %12.1f %10.1f %10.1f %10.2f %10.1f%n",
                    rate(s.offeredRate()), s.completed(), s.failed(), s.requestThroughput(), s.outputTokenThroughput(),
                    s.ttft().p50(), s.ttft().p99(), s.tpot().mean(), s.e2e().p50());
        }
    }

    private static void latency(PrintWriter out, String name, LatencySummary l) {
        out.printf(Locale.ROOT, "  %-32s %10.2f %10.2f %10.2f %10.2f%n", name, l.mean(), l.p50(), l.p90(), l.p99());
    }

    private static void row(PrintWriter out, String label, String value) {
        out.printf(Locale.ROOT, "%-34s %s%n", label + ":", value);
    }

    static String rate(double r) {
        return Double.isInfinite(r) ? "inf" : f(r);
    }

    private static String opt(Double v) {
        return v == null ? "n/a" : f(v);
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
