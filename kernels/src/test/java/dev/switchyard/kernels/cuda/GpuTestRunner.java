package dev.switchyard.kernels.cuda;

import java.io.PrintWriter;
import java.util.Arrays;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs the named test classes without a build tool (kernels/gpu-check.sh on a GPU machine): one
 * line per test, the failures in full, then the summary. Exits 1 when a test fails, 2 when CUDA is
 * unavailable (the GPU tests would only have been skipped).
 */
public final class GpuTestRunner {

    private GpuTestRunner() {
    }

    public static void main(String[] classes) {
        PrintWriter out = new PrintWriter(System.out, true);
        CudaProbe.Result probe = CudaProbe.probe();
        out.println("probe: " + probe.describe());
        if (!probe.available()) {
            System.exit(2);
        }
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(Arrays.stream(classes).map(DiscoverySelectors::selectClass).toList())
                .build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(request, summary, new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (id.isTest()) {
                    out.println(result.getStatus() + "  " + id.getLegacyReportingName() + "  [" + id.getUniqueId() + "]");
                    result.getThrowable().ifPresent(t -> out.println("    " + t));
                }
            }

            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                out.println("SKIPPED  " + id.getLegacyReportingName() + ": " + reason);
            }
        });
        TestExecutionSummary s = summary.getSummary();
        s.printFailuresTo(out, 40);
        s.printTo(out);
        System.exit(s.getTotalFailureCount() > 0 || s.getTestsFoundCount() == 0 ? 1 : 0);
    }
}
