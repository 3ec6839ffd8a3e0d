package dev.switchyard.loadtest.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.loadtest.fake.FakeOpenAiServer;
import dev.switchyard.loadtest.fake.Reply;
import dev.switchyard.loadtest.metrics.RunMetrics;
import dev.switchyard.loadtest.metrics.RunSummary;
import dev.switchyard.loadtest.target.ApiKind;
import dev.switchyard.loadtest.workload.IntRange;
import dev.switchyard.loadtest.workload.PlannedRequest;
import dev.switchyard.loadtest.workload.WorkloadPlanner;
import org.junit.jupiter.api.Test;

/**
 * Cancelled requests are counted apart and really leave: the scripted server, streaming for 3 s,
 * sees exactly as many clients go away as the load test cancelled (300-500 ms after sending, long
 * after the request reached the server and long before its stream could end).
 */
class CancellationTest {

    @Test
    void cancelledRequestsAreCountedAndCloseTheirConnection() throws Exception {
        try (FakeOpenAiServer server = new FakeOpenAiServer(n -> Reply.Stream.of(10, 150, 20, 150), false)) {
            WorkloadPlanner.Plan plan = Drive.plan(Drive.spec(12, 0.5, IntRange.parse("300-500")));
            long planned = plan.measured().stream().filter(PlannedRequest::cancels).count();
            assertThat(planned).as("the seed picks some requests to cancel, not all").isBetween(1L, 11L);

            RunSummary s = RunMetrics.compute(Drive.run(server.url(), ApiKind.COMPLETIONS, plan, 0, 2), null);

            assertThat(s.cancelled()).isEqualTo(planned);
            assertThat(s.completed()).isEqualTo(12 - planned);
            assertThat(s.failed()).isZero();
            // The server notices a gone client at its next write, at most one 20 ms gap later.
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (server.disconnects() < planned && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(server.disconnects()).isEqualTo((int) planned);
            assertThat(server.awaitFinished(s.completed(), 5_000)).isEqualTo(s.completed());
        }
    }
}
