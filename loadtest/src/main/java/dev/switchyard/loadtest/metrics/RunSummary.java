package dev.switchyard.loadtest.metrics;

import java.util.SortedMap;

/**
 * The figures of one run; {@link RunMetrics} says how each is computed.
 *
 * @param goodput good requests per second, or null without objectives
 * @param outputTokensSource "usage" when every completed request's output count came from the server's
 *        usage report, "chunks" when none did (one token per chunk assumed), "mixed" otherwise
 */
public record RunSummary(double offeredRate, int maxConcurrency, double durationS, int completed, int failed,
                         SortedMap<String, Integer> failedByKind, int cancelled,
                         long totalInputTokens, long totalOutputTokens,
                         double requestThroughput, double outputTokenThroughput, double totalTokenThroughput,
                         Integer goodRequests, Double goodput, Slo slo,
                         LatencySummary ttft, LatencySummary tpot, LatencySummary itl, LatencySummary e2e,
                         String outputTokensSource, int peakInFlight) {
}
