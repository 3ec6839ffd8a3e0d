package dev.switchyard.engine.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.generate.GenerationResult;
import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.generate.TokenListener;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.moe.CapacityScope;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.engine.moe.OverflowMode;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The serving scheduler on a real tiny model: what it produces equals what each request produces
 * alone, under concurrency, preemption, cancellation, timeouts and shutdown.
 */
class SchedulerTest {

    private static final Path MODEL = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static List<GenerationRequest> requests(int count, int generated, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<GenerationRequest> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] prompt = new int[1 + random.nextInt(60)];
            for (int j = 0; j < prompt.length; j++) {
                prompt[j] = random.nextInt(497); // the last three ids are control tokens
            }
            SamplingParams params = i % 2 == 0
                    ? SamplingParams.builder().temperature(0).ignoreEos(true).logprobs(2).build()
                    : SamplingParams.builder().temperature(0.8).topK(40).seed(500L + i).ignoreEos(true).logprobs(2)
                    .frequencyPenalty(0.3).build();
            list.add(new GenerationRequest(prompt, params, generated));
        }
        return list;
    }

    private static GenerationResult alone(GenerationRequest request, DispatchConfig dispatch) throws Exception {
        try (CpuBackend backend = new CpuBackend(1);
             LoadedModel model = LoadedModel.open(MODEL, backend, 64, 1, 0, dispatch)) {
            return model.generator().generate(List.of(request), TokenListener.NONE).getFirst();
        }
    }

    /** Submits every request from its own thread and waits for all to finish. */
    private static List<RecordingSink> runConcurrently(Scheduler scheduler, List<GenerationRequest> requests)
            throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(4);
        try {
            List<Future<RecordingSink>> futures = new ArrayList<>();
            for (GenerationRequest r : requests) {
                futures.add(clients.submit(() -> {
                    RecordingSink sink = new RecordingSink();
                    scheduler.submit(List.of(new Scheduler.SequenceRequest(r, sink)), null);
                    sink.await(WAIT);
                    return sink;
                }));
            }
            List<RecordingSink> sinks = new ArrayList<>();
            for (Future<RecordingSink> f : futures) {
                sinks.add(f.get(WAIT.toSeconds(), TimeUnit.SECONDS));
            }
            return sinks;
        } finally {
            clients.shutdownNow();
        }
    }

    private static void assertSameAsAlone(List<GenerationRequest> requests, List<RecordingSink> sinks,
                                          DispatchConfig dispatch) throws Exception {
        for (int i = 0; i < requests.size(); i++) {
            GenerationResult expected = alone(requests.get(i), dispatch);
            RecordingSink sink = sinks.get(i);
            assertThat(sink.finish()).as("request %d finish", i).isEqualTo(FinishReason.LENGTH);
            assertThat(sink.tokens()).as("request %d tokens", i).containsExactly(expected.tokens());
            assertThat(sink.logprobs()).as("request %d logprobs", i).containsExactly(expected.logprobs());
        }
    }

    @Test
    void concurrentRequestsProduceWhatEachProducesAlone() throws Exception {
        List<GenerationRequest> requests = requests(12, 10, 1);
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(MODEL, backend, 32, 6, 0);
             Scheduler scheduler = model.scheduler(64, SchedulerObserver.NONE)) {
            List<RecordingSink> sinks = runConcurrently(scheduler, requests);
            assertSameAsAlone(requests, sinks, null);
            assertThat(scheduler.preemptions()).isZero();
        }
    }

    @Test
    void preemptedSequencesAreRecomputedToTheSameOutput() throws Exception {
        List<GenerationRequest> requests = requests(10, 24, 2);
        // With reroute in sequence scope, recompute must also rebuild the same capacity groups.
        DispatchConfig dispatch = new DispatchConfig(OverflowMode.REROUTE, 1.0, CapacityScope.SEQUENCE, 16, true);
        AtomicLong preempted = new AtomicLong();
        SchedulerObserver counting = new SchedulerObserver() {
            @Override
            public void preempted() {
                preempted.incrementAndGet();
            }
        };
        // 96 positions in all (+1 block per slot) for up to 8 sequences of up to 84 positions each
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(MODEL, backend, 32, 8, 96, dispatch);
             Scheduler scheduler = model.scheduler(64, counting)) {
            List<RecordingSink> sinks = runConcurrently(scheduler, requests);
            assertThat(scheduler.preemptions()).as("the pool is too small for all at once").isPositive();
            assertThat(preempted.get()).isEqualTo(scheduler.preemptions());
            assertSameAsAlone(requests, sinks, dispatch);
            assertThat(model.kv().freeBlocks()).isEqualTo(model.kv().capacityBlocks());
        }
    }

    @Test
    void cancellingARunningRequestFreesItsBlocksAtTheNextStep() throws Exception {
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(MODEL, backend, 32, 4, 0);
             Scheduler scheduler = model.scheduler(8, SchedulerObserver.NONE)) {
            GenerationRequest longOne = new GenerationRequest(new int[] {5, 6, 7},
                    SamplingParams.builder().temperature(0).ignoreEos(true).build(), 200);
            RecordingSink sink = new RecordingSink();
            Submission submission = scheduler.submit(List.of(new Scheduler.SequenceRequest(longOne, sink)), null);
            sink.awaitTokens(3, WAIT);
            submission.cancel();
            sink.await(WAIT);
            assertThat(sink.finish()).isEqualTo(FinishReason.ABORT);
            assertThat(sink.tokens().length).isBetween(3, 199);
            assertThat(scheduler.awaitIdle(WAIT)).isTrue();
            assertThat(submission.isDone()).isTrue();
            assertThat(model.kv().freeBlocks()).isEqualTo(model.kv().capacityBlocks());
        }
    }

    @Test
    void aFullQueueRefusesAtOnceAndTheServerGoesOn() throws Exception {
        try (CpuBackend backend = new CpuBackend(1);
             LoadedModel model = LoadedModel.open(MODEL, backend, 16, 1, 0);
             Scheduler scheduler = model.scheduler(1, SchedulerObserver.NONE)) {
            SamplingParams greedy = SamplingParams.builder().temperature(0).ignoreEos(true).build();
            RecordingSink first = new RecordingSink();
            Submission running = scheduler.submit(List.of(new Scheduler.SequenceRequest(
                    new GenerationRequest(new int[] {1, 2}, greedy, 200), first)), null);
            first.awaitTokens(1, WAIT); // admitted: it no longer counts as queued
            RecordingSink second = new RecordingSink();
            scheduler.submit(List.of(new Scheduler.SequenceRequest(new GenerationRequest(new int[] {3}, greedy, 2), second)), null);
            assertThatThrownBy(() -> scheduler.submit(List.of(new Scheduler.SequenceRequest(
                    new GenerationRequest(new int[] {4}, greedy, 2), new RecordingSink())), null))
                    .isInstanceOf(QueueFullException.class).hasMessageContaining("1 requests are already waiting");
            running.cancel();
            second.await(WAIT);
            assertThat(second.finish()).isEqualTo(FinishReason.LENGTH);
            RecordingSink third = new RecordingSink();
            scheduler.submit(List.of(new Scheduler.SequenceRequest(new GenerationRequest(new int[] {4}, greedy, 2), third)), null);
            third.await(WAIT);
            assertThat(third.tokens()).hasSize(2);
        }
    }

    @Test
    void aRequestPastItsTimeoutIsAborted() throws Exception {
        try (CpuBackend backend = new CpuBackend(1);
             LoadedModel model = LoadedModel.open(MODEL, backend, 16, 2, 0);
             Scheduler scheduler = model.scheduler(4, SchedulerObserver.NONE)) {
            RecordingSink sink = new RecordingSink();
            Submission s = scheduler.submit(List.of(new Scheduler.SequenceRequest(new GenerationRequest(new int[] {1},
                    SamplingParams.builder().temperature(0).ignoreEos(true).build(), 250), sink)), Duration.ofMillis(30));
            sink.await(WAIT);
            assertThat(sink.finish()).isEqualTo(FinishReason.ABORT);
            assertThat(s.timedOut()).isTrue();
            assertThat(model.kv().freeBlocks()).isEqualTo(model.kv().capacityBlocks());
        }
    }

    @Test
    void aSinkCanStopItsSequenceAfterAnyToken() throws Exception {
        try (CpuBackend backend = new CpuBackend(1);
             LoadedModel model = LoadedModel.open(MODEL, backend, 16, 2, 0);
             Scheduler scheduler = model.scheduler(4, SchedulerObserver.NONE)) {
            RecordingSink sink = new RecordingSink();
            sink.stopAfter(4);
            scheduler.submit(List.of(new Scheduler.SequenceRequest(new GenerationRequest(new int[] {9, 8},
                    SamplingParams.builder().temperature(0).ignoreEos(true).build(), 50), sink)), null);
            sink.await(WAIT);
            assertThat(sink.finish()).isEqualTo(FinishReason.STOP);
            assertThat(sink.tokens()).hasSize(4);
        }
    }

    @Test
    void drainingRefusesNewRequestsLetsAcceptedOnesFinishAndCloseAbortsTheRest() throws Exception {
        try (CpuBackend backend = new CpuBackend(1);
             LoadedModel model = LoadedModel.open(MODEL, backend, 16, 2, 0)) {
            Scheduler scheduler = model.scheduler(4, SchedulerObserver.NONE);
            SamplingParams greedy = SamplingParams.builder().temperature(0).ignoreEos(true).build();
            RecordingSink shortOne = new RecordingSink();
            RecordingSink endless = new RecordingSink();
            scheduler.submit(List.of(new Scheduler.SequenceRequest(new GenerationRequest(new int[] {1}, greedy, 3), shortOne)), null);
            scheduler.submit(List.of(new Scheduler.SequenceRequest(new GenerationRequest(new int[] {2}, greedy, 250), endless)), null);
            scheduler.beginDrain();
            assertThatThrownBy(() -> scheduler.submit(List.of(new Scheduler.SequenceRequest(
                    new GenerationRequest(new int[] {3}, greedy, 2), new RecordingSink())), null))
                    .isInstanceOf(SchedulerUnavailableException.class);
            shortOne.await(WAIT);
            assertThat(shortOne.finish()).isEqualTo(FinishReason.LENGTH);
            assertThat(scheduler.awaitIdle(Duration.ofMillis(1))).isFalse();
            scheduler.close();
            endless.await(WAIT);
            assertThat(endless.finish()).isEqualTo(FinishReason.ABORT);
            assertThat(scheduler.awaitIdle(Duration.ofMillis(1))).isTrue();
            assertThat(model.kv().freeBlocks()).isEqualTo(model.kv().capacityBlocks());
        }
    }

    @Test
    void requestsThatCannotFitAreRefusedBeforeTheyQueue() throws Exception {
        try (CpuBackend backend = new CpuBackend(1);
             LoadedModel model = LoadedModel.open(MODEL, backend, 16, 2, 0);
             Scheduler scheduler = model.scheduler(4, SchedulerObserver.NONE)) {
            SamplingParams greedy = SamplingParams.greedy();
            assertThat(scheduler.maxSequencePositions()).isEqualTo(256);
            assertThatThrownBy(() -> scheduler.submit(List.of(new Scheduler.SequenceRequest(
                    new GenerationRequest(new int[200], greedy, 57), new RecordingSink())), null))
                    .isInstanceOf(ContextLengthExceededException.class);
            assertThatThrownBy(() -> scheduler.submit(List.of(new Scheduler.SequenceRequest(
                    new GenerationRequest(new int[] {-1}, greedy, 5), new RecordingSink())), null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside the vocabulary");
            assertThat(scheduler.waiting()).isZero();
        }
    }
}
