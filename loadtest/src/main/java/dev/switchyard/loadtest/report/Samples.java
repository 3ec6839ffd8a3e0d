package dev.switchyard.loadtest.report;

import dev.switchyard.loadtest.run.Outcome;
import dev.switchyard.loadtest.run.RequestResult;
import dev.switchyard.loadtest.run.RunRecords;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Per-request series for the charts, in milliseconds and seconds, from the same {@link RequestResult}
 * accessors the summary figures use, so a chart can never disagree with the table.
 */
final class Samples {

    private Samples() {
    }

    static double[] ttftMs(RunRecords run) {
        return completed(run).stream().mapToDouble(r -> r.ttftNanos() / 1e6).toArray();
    }

    static double[] e2eMs(RunRecords run) {
        return completed(run).stream().mapToDouble(r -> r.e2eNanos() / 1e6).toArray();
    }

    static double[] tpotMs(RunRecords run) {
        return completed(run).stream().filter(r -> r.tpotNanos() >= 0).mapToDouble(r -> r.tpotNanos() / 1e6).toArray();
    }

    static double[] itlMs(RunRecords run) {
        List<Double> gaps = new ArrayList<>();
        for (RequestResult r : completed(run)) {
            long[] c = r.chunkNanos();
            for (int i = 1; i < c.length; i++) {
                gaps.add((c[i] - c[i - 1]) / 1e6);
            }
        }
        return gaps.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** In-flight count at send (x) and TTFT in ms (y) of each completed request. */
    static double[][] ttftAgainstLoad(RunRecords run) {
        List<RequestResult> done = completed(run);
        double[] x = done.stream().mapToDouble(RequestResult::inFlightAtSend).toArray();
        double[] y = done.stream().mapToDouble(r -> r.ttftNanos() / 1e6).toArray();
        return new double[][] {x, y};
    }

    /**
     * Output tokens per second in {@code buckets} equal slices of the run: each chunk of a completed
     * request counts its share of the request's output tokens (usage count / chunks).
     */
    static double[][] outputThroughputOverTime(RunRecords run, int buckets) {
        double seconds = Math.max(run.durationSeconds(), 1e-6);
        double width = seconds / buckets;
        double[] tokens = new double[buckets];
        for (RequestResult r : completed(run)) {
            long[] c = r.chunkNanos();
            double perChunk = (double) r.outputTokens() / c.length;
            for (long t : c) {
                int b = (int) Math.min(buckets - 1, Math.max(0, (t - run.startNanos()) / 1e9 / width));
                tokens[b] += perChunk;
            }
        }
        double[] x = new double[buckets];
        double[] y = new double[buckets];
        for (int b = 0; b < buckets; b++) {
            x[b] = (b + 0.5) * width;
            y[b] = tokens[b] / width;
        }
        return new double[][] {x, y};
    }

    /** An empirical CDF of at most {@code points} points (x sorted, y the fraction at or below x). */
    static double[][] cdf(double[] values, int points) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        int m = Math.min(n, points);
        double[] x = new double[m];
        double[] y = new double[m];
        for (int i = 0; i < m; i++) {
            int idx = m == n ? i : (int) Math.round((double) i * (n - 1) / (m - 1));
            x[i] = sorted[idx];
            y[i] = (idx + 1) / (double) n;
        }
        return new double[][] {x, y};
    }

    private static List<RequestResult> completed(RunRecords run) {
        return run.requests().stream().filter(r -> r.outcome() == Outcome.COMPLETED).toList();
    }
}
