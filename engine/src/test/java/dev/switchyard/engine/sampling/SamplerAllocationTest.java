package dev.switchyard.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The per-token path allocates nothing on the heap, for every combination of features. */
class SamplerAllocationTest {

    private static final int VOCAB = 32_000;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static long allocatedBytes() {
        return THREADS.getCurrentThreadAllocatedBytes();
    }

    private static long bytesPerRun(SamplingParams params) {
        float[] logits = Logits.normal(VOCAB, 2, 21);
        Sampler sampler = new Sampler(params, VOCAB);
        sampler.addPromptTokens(new int[] {1, 2, 3, 500, 700});
        TokenLogprobs out = new TokenLogprobs();
        for (int i = 0; i < 300; i++) { // fill the penalty state
            sampler.accept(sampler.sample(logits, out));
        }
        return steadyStateBytes(() -> sampler.accept(sampler.sample(logits, out)));
    }

    /**
     * What 200 tokens allocate once the path has settled: vector loops allocate until the JIT has
     * compiled them (and a recompilation may allocate once), so windows of 200 are tried until one
     * allocates nothing; a path that allocates per token never gets there.
     */
    private static long steadyStateBytes(Runnable token) {
        long bytes = 0;
        long deadline = System.nanoTime() + SETTLING.toNanos();
        while (System.nanoTime() < deadline) {
            long baseline = allocatedBytes();
            baseline = allocatedBytes() - baseline; // what measuring itself costs
            long before = allocatedBytes();
            for (int i = 0; i < 200; i++) {
                token.run();
            }
            bytes = allocatedBytes() - before - baseline;
            if (bytes == 0) {
                return 0;
            }
        }
        return bytes;
    }

    /**
     * How long the JIT gets to compile the path (on a busy two-core machine its queue can hold the
     * sampler's loops back for seconds); a window is tried at least once.
     */
    private static final java.time.Duration SETTLING = java.time.Duration.ofSeconds(10);

    @Test
    void samplingAllocatesNothingPerToken() {
        SamplingParams.Builder b = SamplingParams.builder().seed(1L).logprobs(5)
                .repetitionPenalty(1.1).presencePenalty(0.2).frequencyPenalty(0.1).logitBias(Map.of(42, 2.0));
        assertThat(bytesPerRun(b.build())).as("no filters").isZero();
        assertThat(bytesPerRun(b.topK(40).topP(0.9).minP(0.05).build())).as("top-k, top-p, min-p").isZero();
        assertThat(bytesPerRun(b.topK(0).topP(0.95).minP(0).build())).as("top-p alone").isZero();
        assertThat(bytesPerRun(b.topP(1).minP(0.1).build())).as("min-p alone").isZero();
        assertThat(bytesPerRun(b.temperature(0).build())).as("greedy").isZero();
        SamplerExtras extras = new SamplerExtras(0.95, 2, 0.5, 0.1,
                new SamplerExtras.Dry(0.8, 1.75, 2, 0, java.util.Set.of(5, 6)));
        assertThat(bytesPerRun(b.temperature(1).extras(extras).build())).as("DRY, top-n-sigma, typical, XTC").isZero();
        for (int version = 1; version <= 2; version++) {
            SamplerExtras mirostat = new SamplerExtras(1, 0, 0, 0.1, null, new SamplerExtras.Mirostat(version, 5, 0.1),
                    null, 64);
            assertThat(bytesPerRun(b.extras(mirostat).build())).as("Mirostat %d, penalties over 64 tokens", version).isZero();
        }
        SamplerExtras dynamic = new SamplerExtras(1, 0, 0, 0.1, null, null,
                new SamplerExtras.DynamicTemperature(0.5, 1), 32);
        assertThat(bytesPerRun(b.topK(40).extras(dynamic).build())).as("dynamic temperature").isZero();
        assertThat(bytesPerRun(b.temperature(0.7).topK(0).topP(0.9).extras(extras.withTemperatureFirst(true)).build()))
                .as("temperature first").isZero();
    }

    /** Taking tokens from a row's best ones, as decode on a GPU does. */
    private static long bytesPerCandidateRun(SamplingParams params) {
        float[] logits = Logits.normal(VOCAB, 2, 21);
        Sampler sampler = new Sampler(params, VOCAB);
        int count = sampler.candidatesNeeded();
        int[] ids = new int[count];
        float[] values = new float[count];
        for (int i = 0; i < count; i++) { // any descending run will do: only the cost is measured here
            ids[i] = 10 * i;
            values[i] = logits[0] - i;
        }
        RowCandidates candidates = new RowCandidates().view(ids, values, 0, count, 3.5);
        TokenLogprobs out = new TokenLogprobs();
        for (int i = 0; i < 300; i++) {
            sampler.accept(sampler.takeCandidates(candidates, out));
        }
        return steadyStateBytes(() -> {
            sampler.accept(sampler.takeCandidates(candidates, out));
            candidates.view(ids, values, 0, count, 3.5);
        });
    }

    @Test
    void takingFromTheBestTokensAllocatesNothingPerToken() {
        SamplingParams.Builder b = SamplingParams.builder().seed(1L).logprobs(5);
        assertThat(bytesPerCandidateRun(b.topK(40).topP(0.9).minP(0.05).build())).as("top-k").isZero();
        assertThat(bytesPerCandidateRun(b.temperature(0).topK(0).topP(1).minP(0).build())).as("greedy").isZero();
    }
}
