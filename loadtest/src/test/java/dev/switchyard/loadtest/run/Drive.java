package dev.switchyard.loadtest.run;

import dev.switchyard.loadtest.target.ApiKind;
import dev.switchyard.loadtest.target.OpenAiHttpTarget;
import dev.switchyard.loadtest.workload.IntRange;
import dev.switchyard.loadtest.workload.PromptCalibrator;
import dev.switchyard.loadtest.workload.WorkloadPlanner;
import dev.switchyard.loadtest.workload.WorkloadSpec;
import java.net.URI;

/** Runs a workload against a URL with the real target, planner and runner, for the tests. */
final class Drive {

    private Drive() {
    }

    static WorkloadPlanner.Plan plan(WorkloadSpec spec) throws Exception {
        return new WorkloadPlanner(spec, PromptCalibrator.approximate(), null).plan();
    }

    static WorkloadSpec spec(int n, double cancelRate, IntRange cancelDelay) {
        return new WorkloadSpec(n, 0, IntRange.fixed(16), IntRange.fixed(8), 0, null, cancelRate, cancelDelay, 42);
    }

    static RunRecords run(URI url, ApiKind api, WorkloadPlanner.Plan plan, int maxConcurrency, int callbackThreads)
            throws Exception {
        try (OpenAiHttpTarget target = new OpenAiHttpTarget(url, api, callbackThreads)) {
            LoadRunner runner = new LoadRunner(target, "fake-moe", maxConcurrency, 60_000_000_000L);
            return runner.run(plan.measured(), new long[plan.measured().size()], Double.POSITIVE_INFINITY);
        }
    }
}
