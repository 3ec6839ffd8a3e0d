package dev.switchyard.loadtest.run;

import java.util.List;

/**
 * Every request of one measured run, with the run's span: from the moment the first request was due
 * to the moment the last one ended (what vLLM calls the benchmark duration).
 *
 * @param offeredRate the request rate asked for (infinite for "all at once")
 */
public record RunRecords(List<RequestResult> requests, long startNanos, long endNanos, double offeredRate,
                         int maxConcurrency) {

    public double durationSeconds() {
        return (endNanos - startNanos) / 1e9;
    }
}
