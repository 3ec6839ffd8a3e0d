package dev.switchyard.loadtest.report;

import dev.switchyard.loadtest.metrics.RunSummary;
import dev.switchyard.loadtest.metrics.ServerMetricsReport;
import dev.switchyard.loadtest.run.RunRecords;

/** One load level: the raw observations, the figures computed from them, and the server's metrics. */
public record MeasuredRun(RunRecords records, RunSummary summary, ServerMetricsReport server) {
}
