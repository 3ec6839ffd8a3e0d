package dev.switchyard.loadtest.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.loadtest.fake.FakeOpenAiServer;
import dev.switchyard.loadtest.fake.Reply;
import dev.switchyard.loadtest.metrics.RunMetrics;
import dev.switchyard.loadtest.metrics.RunSummary;
import dev.switchyard.loadtest.target.ApiKind;
import dev.switchyard.loadtest.workload.IntRange;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.junit.jupiter.api.Test;

/**
 * One process keeps 1,000 streams open at once on two callback threads. The scripted server holds
 * every stream until all 1,000 are open together (so the proof does not depend on timing: a client
 * that could not hold them all would leave the server waiting until its 30 s gate gives up, and the
 * open count would stay below 1,000), then streams 4 chunks 20 ms apart to each.
 */
class ThousandStreamsTest {

    private static final int STREAMS = 1000;

    @Test
    void oneProcessHoldsAThousandStreamsWithoutAThreadEach() throws Exception {
        try (FakeOpenAiServer server = new FakeOpenAiServer(n -> Reply.Stream.of(0, 4, 20, 4), false)) {
            server.holdUntilOpen(STREAMS, 30_000);
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            int before = threads.getThreadCount();
            threads.resetPeakThreadCount();

            RunRecords run = Drive.run(server.url(), ApiKind.COMPLETIONS,
                    Drive.plan(Drive.spec(STREAMS, 0, IntRange.fixed(0))), 0, 2);
            RunSummary s = RunMetrics.compute(run, null);

            assertThat(server.maxOpen()).isEqualTo(STREAMS);
            assertThat(s.completed()).isEqualTo(STREAMS);
            assertThat(s.failed()).isZero();
            assertThat(s.peakInFlight()).isEqualTo(STREAMS);
            assertThat(s.itl().count()).isEqualTo(3L * STREAMS);
            // Platform threads only (the fake server's are virtual): client and server together add a
            // few dozen at most, where a thread per stream would add a thousand.
            assertThat(threads.getPeakThreadCount() - before).isLessThan(100);
        }
    }
}
