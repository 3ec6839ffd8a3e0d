package dev.switchyard.loadtest.metrics;

import dev.switchyard.loadtest.run.RequestResult;
import dev.switchyard.loadtest.run.RunRecords;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The run's figures from the client's own timestamps, with vLLM's {@code bench serve} formulas
 * (benchmarks/serve.py, {@code calculate_metrics}), so results compare with vLLM's:
 * <ul>
 * <li>TTFT = first chunk carrying tokens - send.</li>
 * <li>E2E = last chunk carrying tokens - send.</li>
 * <li>TPOT = (E2E - TTFT) / (output_tokens - 1), per request with at least 2 output tokens.</li>
 * <li>ITL = every gap between successive chunks carrying tokens, pooled over all requests (a chunk
 *     carrying several tokens makes one gap).</li>
 * <li>output_tokens = the usage chunk's {@code completion_tokens} (stream_options.include_usage), or the
 *     number of chunks carrying tokens when the server sends no usage.</li>
 * <li>Throughputs divide by the run's duration (first send due to last end): completed requests,
 *     their output tokens, their input plus output tokens. Goodput counts completed requests meeting
 *     every objective.</li>
 * </ul>
 * Only completed requests enter latencies and token totals; failed and cancelled ones are counted apart.
 */
public final class RunMetrics {

    private RunMetrics() {
    }

    public static RunSummary compute(RunRecords run, Slo slo) {
        LatencySummary.Builder ttft = new LatencySummary.Builder();
        LatencySummary.Builder tpot = new LatencySummary.Builder();
        LatencySummary.Builder itl = new LatencySummary.Builder();
        LatencySummary.Builder e2e = new LatencySummary.Builder();
        SortedMap<String, Integer> failedByKind = new TreeMap<>();
        int completed = 0;
        int failed = 0;
        int cancelled = 0;
        int good = 0;
        int fromUsage = 0;
        int peak = 0;
        long input = 0;
        long output = 0;
        for (RequestResult r : run.requests()) {
            peak = Math.max(peak, r.inFlightAtSend());
            switch (r.outcome()) {
                case FAILED -> {
                    failed++;
                    failedByKind.merge(r.errorKind(), 1, Integer::sum);
                    continue;
                }
                case CANCELLED -> {
                    cancelled++;
                    continue;
                }
                case COMPLETED -> completed++;
            }
            int outTokens = r.outputTokens();
            input += r.inputTokens();
            output += outTokens;
            if (r.usageCompletionTokens() >= 0) {
                fromUsage++;
            }
            long[] chunks = r.chunkNanos();
            ttft.add(r.ttftNanos());
            e2e.add(r.e2eNanos());
            for (int i = 1; i < chunks.length; i++) {
                itl.add(chunks[i] - chunks[i - 1]);
            }
            Double tpotMs = null;
            long perToken = r.tpotNanos();
            if (perToken >= 0) {
                tpot.add(perToken);
                tpotMs = perToken / 1e6;
            }
            if (slo != null && slo.met(r.ttftNanos() / 1e6, tpotMs, r.e2eNanos() / 1e6)) {
                good++;
            }
        }
        double seconds = Math.max(run.durationSeconds(), 1e-9);
        String source = fromUsage == completed ? "usage" : fromUsage == 0 ? "chunks" : "mixed";
        return new RunSummary(run.offeredRate(), run.maxConcurrency(), run.durationSeconds(), completed, failed,
                failedByKind, cancelled, input, output,
                completed / seconds, output / seconds, (input + output) / seconds,
                slo == null ? null : good, slo == null ? null : good / seconds, slo,
                ttft.build(), tpot.build(), itl.build(), e2e.build(), source, peak);
    }
}
