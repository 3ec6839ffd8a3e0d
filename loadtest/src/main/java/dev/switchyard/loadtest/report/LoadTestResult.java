package dev.switchyard.loadtest.report;

import dev.switchyard.loadtest.target.BatchBeside;
import dev.switchyard.loadtest.workload.PromptCalibrator;
import java.util.List;
import java.util.Map;

/**
 * Everything a load test produced: what was asked for ({@code config}, in the JSON file's key order),
 * how input lengths were made, one {@link MeasuredRun} per load level ({@code sweep} when the
 * command asked for several rates), and the batch made beside the runs (null for none).
 */
public record LoadTestResult(String target, String model, Map<String, Object> config,
                             PromptCalibrator.Report inputTokens, List<MeasuredRun> runs, boolean sweep,
                             BatchBeside.Report besideBatch) {

    /** A run with no batch beside it. */
    public LoadTestResult(String target, String model, Map<String, Object> config, PromptCalibrator.Report inputTokens,
                          List<MeasuredRun> runs, boolean sweep) {
        this(target, model, config, inputTokens, runs, sweep, null);
    }
}
