package dev.switchyard.loadtest.metrics;

import org.HdrHistogram.Histogram;

/**
 * Mean and percentiles of one latency, in milliseconds. Percentiles come from an HdrHistogram at three
 * significant digits (so within 0.1% of the exact order statistic); the mean is the exact mean of the
 * samples, not the histogram's.
 */
public record LatencySummary(long count, double mean, double p50, double p90, double p99, double min, double max) {

    public static final LatencySummary EMPTY = new LatencySummary(0, 0, 0, 0, 0, 0, 0);

    /** Accumulates nanosecond samples; recorded in the histogram at microsecond resolution. */
    public static final class Builder {
        private final Histogram histogram = new Histogram(3);
        private long count;
        private double sumNanos;
        private long minNanos = Long.MAX_VALUE;
        private long maxNanos = Long.MIN_VALUE;

        public Builder add(long nanos) {
            long clamped = Math.max(0, nanos);
            histogram.recordValue(clamped / 1000);
            count++;
            sumNanos += clamped;
            minNanos = Math.min(minNanos, clamped);
            maxNanos = Math.max(maxNanos, clamped);
            return this;
        }

        public LatencySummary build() {
            if (count == 0) {
                return EMPTY;
            }
            return new LatencySummary(count, sumNanos / count / 1e6,
                    micros(histogram.getValueAtPercentile(50)), micros(histogram.getValueAtPercentile(90)),
                    micros(histogram.getValueAtPercentile(99)), minNanos / 1e6, maxNanos / 1e6);
        }

        private static double micros(long micros) {
            return micros / 1000.0;
        }
    }
}
