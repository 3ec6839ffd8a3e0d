package dev.switchyard.loadtest.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.switchyard.loadtest.fake.FakeOpenAiServer;
import dev.switchyard.loadtest.fake.Reply;
import dev.switchyard.loadtest.metrics.RunMetrics;
import dev.switchyard.loadtest.metrics.RunSummary;
import dev.switchyard.loadtest.metrics.Slo;
import dev.switchyard.loadtest.target.ApiKind;
import dev.switchyard.loadtest.workload.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The figures against a server whose delays are known: 150 ms to the first chunk, then 4 chunks
 * 60 ms apart, and a usage report of 9 output tokens (so chunks carry more than one token and TPOT's
 * denominator must come from usage, not from the chunk count). Lower bounds are exact, since the
 * server sleeps at least that long; upper bounds leave room for a loaded two-core machine.
 */
class ScriptedTimingTest {

    private static final long FIRST_MS = 150;
    private static final long GAP_MS = 60;
    private static final int CHUNKS = 5;
    private static final int USAGE_TOKENS = 9;
    private static final double SLACK_MS = 400;

    @Test
    void latenciesFollowTheScriptAndTheFormulas() throws Exception {
        try (FakeOpenAiServer server = new FakeOpenAiServer(n -> Reply.Stream.of(FIRST_MS, CHUNKS, GAP_MS, USAGE_TOKENS), false)) {
            RunRecords run = Drive.run(server.url(), ApiKind.COMPLETIONS, Drive.plan(Drive.spec(8, 0, IntRange.fixed(0))), 4, 2);
            RunSummary s = RunMetrics.compute(run, null);

            assertThat(s.completed()).isEqualTo(8);
            assertThat(s.failed()).isZero();
            assertThat(s.peakInFlight()).isEqualTo(4);
            assertThat(s.outputTokensSource()).isEqualTo("usage");
            assertThat(s.totalOutputTokens()).isEqualTo(8 * USAGE_TOKENS);

            assertThat(s.ttft().mean()).isBetween(FIRST_MS - 1.0, FIRST_MS + SLACK_MS);
            assertThat(s.ttft().p50()).isBetween(FIRST_MS - 1.0, FIRST_MS + SLACK_MS);
            long gaps = (CHUNKS - 1) * 8L;
            assertThat(s.itl().count()).isEqualTo(gaps);
            assertThat(s.itl().mean()).isBetween(GAP_MS * 0.5, GAP_MS + SLACK_MS);
            assertThat(s.e2e().mean() - s.ttft().mean()).isBetween((CHUNKS - 1) * GAP_MS - 1.0, (CHUNKS - 1) * GAP_MS + SLACK_MS);
            // TPOT = (E2E - TTFT) / (usage tokens - 1) per request: the mean of those equals this,
            // since the denominator is the same for every request.
            assertThat(s.tpot().mean()).isCloseTo((s.e2e().mean() - s.ttft().mean()) / (USAGE_TOKENS - 1), within(0.01));
            for (RequestResult r : run.requests()) {
                assertThat(r.chunkNanos()).hasSize(CHUNKS);
                assertThat(r.tpotNanos()).isEqualTo((r.e2eNanos() - r.ttftNanos()) / (USAGE_TOKENS - 1));
            }
            // Two waves of four: the run cannot be shorter than two scripted streams back to back.
            double streamMs = FIRST_MS + (CHUNKS - 1) * GAP_MS;
            assertThat(s.durationS() * 1000).isGreaterThanOrEqualTo(2 * streamMs - 1);
            assertThat(s.requestThroughput()).isCloseTo(8 / s.durationS(), within(1e-9));
            assertThat(s.outputTokenThroughput()).isCloseTo(8.0 * USAGE_TOKENS / s.durationS(), within(1e-9));
            assertThat(server.awaitFinished(8, 5_000)).isEqualTo(8);
        }
    }

    @Test
    void goodputCountsOnlyRequestsWithinEveryObjective() throws Exception {
        try (FakeOpenAiServer server = new FakeOpenAiServer(n -> Reply.Stream.of(FIRST_MS, CHUNKS, GAP_MS, USAGE_TOKENS), false)) {
            RunRecords run = Drive.run(server.url(), ApiKind.COMPLETIONS, Drive.plan(Drive.spec(4, 0, IntRange.fixed(0))), 0, 2);
            // No request can reach its first token in under 150 ms, and all can within a minute.
            assertThat(RunMetrics.compute(run, Slo.parse("ttft:100")).goodRequests()).isZero();
            RunSummary loose = RunMetrics.compute(run, Slo.parse("ttft:60000,tpot:60000,e2e:60000"));
            assertThat(loose.goodRequests()).isEqualTo(4);
            assertThat(loose.goodput()).isCloseTo(4 / loose.durationS(), within(1e-9));
        }
    }

    @Test
    void chatStreamsSkipTheRoleChunkAndWithoutUsageCountChunks() throws Exception {
        try (FakeOpenAiServer server = new FakeOpenAiServer(n -> Reply.Stream.of(50, 3, 20, -1), false)) {
            RunRecords run = Drive.run(server.url(), ApiKind.CHAT, Drive.plan(Drive.spec(3, 0, IntRange.fixed(0))), 0, 2);
            RunSummary s = RunMetrics.compute(run, null);
            assertThat(s.completed()).isEqualTo(3);
            assertThat(s.outputTokensSource()).isEqualTo("chunks");
            assertThat(s.totalOutputTokens()).isEqualTo(9);
            // The role-only delta arrives at once; TTFT must wait for the first content (>= 50 ms).
            assertThat(s.ttft().min()).isGreaterThanOrEqualTo(49.0);
            assertThat(s.itl().count()).isEqualTo(6);
        }
    }
}
