package dev.switchyard.loadtest.report;

import dev.switchyard.loadtest.metrics.LatencySummary;
import dev.switchyard.loadtest.metrics.RunSummary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A self-contained HTML page: the configuration, one table of figures per load level, and the charts
 * embedded as base64 PNG (latency CDFs, throughput over time, TTFT against load, and for a sweep
 * latency against throughput). It loads nothing from anywhere, so it can be mailed or archived as is.
 */
public final class HtmlReport {

    private HtmlReport() {
    }

    public static void write(LoadTestResult result, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, render(result));
    }

    public static String render(LoadTestResult result) throws IOException {
        List<MeasuredRun> runs = result.runs();
        StringBuilder h = new StringBuilder(1 << 16);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Switchyard load test</title>\n")
                .append("<style>body{font-family:sans-serif;margin:2em;max-width:1500px}table{border-collapse:collapse;margin:1em 0}")
                .append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}")
                .append("td:first-child,th:first-child{text-align:left}img{margin:6px;border:1px solid #eee}</style></head><body>\n")
                .append("<h1>Switchyard load test</h1>\n<p>Target <code>").append(esc(result.target()))
                .append("</code>, model <code>").append(esc(result.model())).append("</code>. Input lengths: ")
                .append(esc(result.inputTokens().method())).append(".</p>\n");

        h.append("<h2>Configuration</h2>\n<table>");
        for (Map.Entry<String, Object> e : result.config().entrySet()) {
            h.append("<tr><td>").append(esc(e.getKey())).append("</td><td>").append(esc(String.valueOf(e.getValue()))).append("</td></tr>");
        }
        h.append("</table>\n<h2>Results</h2>\n<table><tr><th>rate (req/s)</th><th>completed</th><th>failed</th><th>cancelled</th>")
                .append("<th>duration (s)</th><th>req/s</th><th>output tok/s</th><th>total tok/s</th><th>goodput (req/s)</th></tr>\n");
        for (MeasuredRun run : runs) {
            RunSummary s = run.summary();
            h.append("<tr><td>").append(ConsoleTable.rate(s.offeredRate())).append("</td><td>").append(s.completed())
                    .append("</td><td>").append(s.failed()).append(s.failedByKind().isEmpty() ? "" : " " + esc(s.failedByKind().toString()))
                    .append("</td><td>").append(s.cancelled()).append("</td><td>").append(f(s.durationS()))
                    .append("</td><td>").append(f(s.requestThroughput())).append("</td><td>").append(f(s.outputTokenThroughput()))
                    .append("</td><td>").append(f(s.totalTokenThroughput())).append("</td><td>")
                    .append(s.goodput() == null ? "" : f(s.goodput())).append("</td></tr>\n");
        }
        h.append("</table>\n<table><tr><th>rate</th><th>latency (ms)</th><th>mean</th><th>p50</th><th>p90</th><th>p99</th></tr>\n");
        for (MeasuredRun run : runs) {
            RunSummary s = run.summary();
            latencyRow(h, s, "TTFT", s.ttft());
            latencyRow(h, s, "TPOT", s.tpot());
            latencyRow(h, s, "ITL", s.itl());
            latencyRow(h, s, "E2E", s.e2e());
        }
        h.append("</table>\n<h2>Charts</h2>\n");
        image(h, "TTFT CDF", Charts.latencyCdf("TTFT", runs, r -> Samples.ttftMs(r.records())));
        image(h, "TPOT CDF", Charts.latencyCdf("TPOT", runs, r -> Samples.tpotMs(r.records())));
        image(h, "ITL CDF", Charts.latencyCdf("ITL", runs, r -> Samples.itlMs(r.records())));
        image(h, "E2E CDF", Charts.latencyCdf("E2E", runs, r -> Samples.e2eMs(r.records())));
        image(h, "Throughput over time", Charts.throughputOverTime(runs));
        image(h, "TTFT against load", Charts.ttftAgainstLoad(runs));
        if (result.sweep()) {
            image(h, "Latency against throughput", Charts.latencyAgainstThroughput(runs));
        }
        h.append("\n<p>TTFT: send to first chunk carrying tokens. E2E: send to last such chunk. TPOT: (E2E - TTFT) / ")
                .append("(output tokens - 1). ITL: gaps between successive chunks carrying tokens. Output tokens from the ")
                .append("server's usage report. Only completed requests enter latencies and throughputs.</p>\n</body></html>\n");
        return h.toString();
    }

    private static void latencyRow(StringBuilder h, RunSummary s, String name, LatencySummary l) {
        h.append("<tr><td>").append(ConsoleTable.rate(s.offeredRate())).append("</td><td>").append(name)
                .append("</td><td>").append(f(l.mean())).append("</td><td>").append(f(l.p50()))
                .append("</td><td>").append(f(l.p90())).append("</td><td>").append(f(l.p99())).append("</td></tr>\n");
    }

    private static void image(StringBuilder h, String alt, String base64Png) {
        if (base64Png == null) {
            h.append("<p>").append(esc(alt)).append(": no completed requests to draw.</p>\n");
            return;
        }
        h.append("<img alt=\"").append(esc(alt)).append("\" width=\"").append(Charts.WIDTH).append("\" height=\"")
                .append(Charts.HEIGHT).append("\" src=\"data:image/png;base64,").append(base64Png).append("\">\n");
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
