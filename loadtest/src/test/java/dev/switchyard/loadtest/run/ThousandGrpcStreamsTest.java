package dev.switchyard.loadtest.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.loadtest.fake.FakeGrpcServer;
import dev.switchyard.loadtest.metrics.RunMetrics;
import dev.switchyard.loadtest.metrics.RunSummary;
import dev.switchyard.loadtest.target.GrpcTarget;
import dev.switchyard.loadtest.workload.IntRange;
import dev.switchyard.loadtest.workload.WorkloadPlanner;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One process keeps 1,000 gRPC streams open at once against a server that allows 100 per connection,
 * on two callback threads. The scripted server answers none until all 1,000 are open together, so the
 * proof does not depend on timing: were more than 100 calls put on one connection, the extra ones would
 * wait in the client, the gate would never open, and every call would end as a timeout.
 */
class ThousandGrpcStreamsTest {

    private static final int STREAMS = 1000;

    @Test
    void aThousandStreamsShareAFewConnectionsWithoutAThreadEach() throws Exception {
        try (FakeGrpcServer server = new FakeGrpcServer(STREAMS, List.of("a", "b", "c", "d"))) {
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            int before = threads.getThreadCount();
            threads.resetPeakThreadCount();

            WorkloadPlanner.Plan plan = Drive.plan(Drive.spec(STREAMS, 0, IntRange.fixed(0)));
            RunRecords run;
            try (GrpcTarget target = new GrpcTarget(server.host(), server.port(), STREAMS, 2)) {
                LoadRunner runner = new LoadRunner(target, "fake-moe", 0, 30_000_000_000L);
                run = runner.run(plan.measured(), new long[STREAMS], Double.POSITIVE_INFINITY);
            }
            RunSummary s = RunMetrics.compute(run, null);

            assertThat(server.calls()).isEqualTo(STREAMS);
            assertThat(s.failedByKind()).isEmpty();
            assertThat(s.completed()).isEqualTo(STREAMS);
            assertThat(s.peakInFlight()).isEqualTo(STREAMS);
            assertThat(s.totalOutputTokens()).isEqualTo(8L * STREAMS);
            assertThat(s.itl().count()).isEqualTo(3L * STREAMS);
            // Client and server together add a few dozen threads (Netty's event loops, the pools), where
            // a thread per stream would add a thousand.
            assertThat(threads.getPeakThreadCount() - before).isLessThan(100);
        }
    }
}
