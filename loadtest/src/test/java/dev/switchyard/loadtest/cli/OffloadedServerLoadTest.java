package dev.switchyard.loadtest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.cache.residency.ExpertMemory;
import dev.switchyard.engine.forward.ExpertOffload;
import dev.switchyard.loadtest.live.LiveSwitchyard;
import dev.switchyard.loadtest.metrics.ServerMetricsReport;
import dev.switchyard.loadtest.report.LoadTestResult;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Against a server that offloads its experts, the load test reports the expert cache's hit rate over the run. */
class OffloadedServerLoadTest {

    @Test
    void theRunReportsTheServersExpertCacheHitRate() throws Exception {
        try (LiveSwitchyard server = LiveSwitchyard.start(4, new ExpertOffload(ExpertMemory.parse("25%"), 0, "none", 1))) {
            double hitsBefore = server.metric("switchyard_expert_cache_hits_total");
            double missesBefore = server.metric("switchyard_expert_cache_misses_total");
            StringWriter out = new StringWriter();
            CommandLine cli = LoadTestCli.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), false);
            cli.parseArgs("--url", server.httpUrl().toString(), "--num-requests", "8", "--input-len", "16",
                    "--output-len", "8", "--max-concurrency", "4", "--seed", "3");
            LoadTest test = new LoadTest(((LoadTestCli) cli.getCommand()).settings(), new PrintWriter(out, true),
                    new PrintWriter(new StringWriter(), true));
            LoadTestResult result = test.measure();
            test.report(result);
            double hits = server.metric("switchyard_expert_cache_hits_total") - hitsBefore;
            double misses = server.metric("switchyard_expert_cache_misses_total") - missesBefore;

            ServerMetricsReport report = result.runs().getFirst().server();
            assertThat(hits + misses).isPositive();
            assertThat(report.expertCacheHitRate()).isEqualTo(hits / (hits + misses));
            assertThat(out.toString()).containsPattern("Server: expert cache hit rate: +[0-9.]+");
        }
    }
}
