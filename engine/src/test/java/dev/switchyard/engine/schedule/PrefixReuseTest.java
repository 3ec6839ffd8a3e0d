package dev.switchyard.engine.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.generate.LoadedModel;
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
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * With prefix caching on, a request whose prompt starts as an earlier one's did takes that
 * prompt's written blocks (16 positions each) and computes only the rest, and its tokens and
 * log-probabilities are exactly those of the same request on a model that reuses nothing; so are
 * those of sequences preempted and readmitted onto their own remembered blocks. Under capacity
 * limits nothing is reused.
 */
class PrefixReuseTest {

    private static int[] prompt(int length, int seed) {
        int[] p = new int[length];
        for (int i = 0; i < length; i++) {
            p[i] = (i * 31 + seed * 7 + 3) % 500;
        }
        return p;
    }

    private static GenerationRequest request(int[] prompt, int tokens) {
        return new GenerationRequest(prompt, SamplingParams.builder().temperature(0).ignoreEos(true).logprobs(2).build(),
                tokens);
    }

    /** Runs the requests one after another (each waits for the one before) and returns their sinks. */
    private static List<RecordingSink> runInTurn(Path model, boolean reuse, DispatchConfig dispatch, AtomicLong reused,
                                                 List<GenerationRequest> requests) throws Exception {
        List<RecordingSink> sinks = new ArrayList<>();
        SchedulerObserver observer = new SchedulerObserver() {
            @Override
            public void prefixReused(int tokens) {
                reused.addAndGet(tokens);
            }
        };
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel loaded = LoadedModel.open(model, backend, 64, 4, 512, dispatch)) {
            loaded.reusePrefixes(reuse);
            try (Scheduler scheduler = loaded.scheduler(16, observer)) {
                sinks.addAll(RecordingSink.inTurn(scheduler, requests));
            }
        }
        return sinks;
    }

    @ParameterizedTest
    @EnumSource(value = GeneratedArchitecture.class, names = {"MIXTRAL", "GPT_OSS", "DEEPSEEK2", "LFM2MOE", "EXAONE_MOE"})
    void laterRequestsReuseTheWrittenPrefixAndAnswerExactlyAsWithout(GeneratedArchitecture arch) throws Exception {
        Path model = TinyModels.of(arch, GgmlType.Q8_0);
        int[] system = prompt(40, 1);
        int[] followUp = new int[52];
        System.arraycopy(system, 0, followUp, 0, 40);
        System.arraycopy(prompt(12, 2), 0, followUp, 40, 12);
        List<GenerationRequest> requests = List.of(request(system, 24), request(followUp, 24), request(system, 24));
        AtomicLong reused = new AtomicLong();
        List<RecordingSink> with = runInTurn(model, true, null, reused, requests);
        List<RecordingSink> without = runInTurn(model, false, null, new AtomicLong(), requests);

        assertThat(with.get(0).reused()).as("nothing before the first").isZero();
        assertThat(with.get(1).reused()).as("the first two whole blocks of the shared 40 tokens").isEqualTo(32);
        assertThat(with.get(2).reused()).as("the same prompt again: every whole block but the one with its last token")
                .isEqualTo(32);
        assertThat(reused.get()).isEqualTo(64);
        for (int i = 0; i < requests.size(); i++) {
            assertThat(with.get(i).tokens()).as("request %d tokens", i).containsExactly(without.get(i).tokens());
            assertThat(with.get(i).logprobs()).as("request %d logprobs", i).containsExactly(without.get(i).logprobs());
        }
    }

    @ParameterizedTest
    @EnumSource(value = OverflowMode.class, names = {"DROP", "REROUTE"})
    void capacityLimitsReuseNothing(OverflowMode mode) throws Exception {
        Path model = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
        int[] system = prompt(40, 1);
        AtomicLong reused = new AtomicLong();
        List<RecordingSink> sinks = runInTurn(model, true, new DispatchConfig(mode, 1.0, CapacityScope.SEQUENCE, 16, true),
                reused, List.of(request(system, 8), request(system, 8)));
        assertThat(reused.get()).isZero();
        assertThat(sinks.get(1).reused()).isZero();
        assertThat(sinks.get(1).tokens()).containsExactly(sinks.get(0).tokens());
    }

    /**
     * The choices of one request with one prompt compute it once: the others wait for the first and
     * take its blocks, and every choice answers exactly as on a model that reuses nothing.
     */
    @ParameterizedTest
    @EnumSource(value = GeneratedArchitecture.class, names = {"MIXTRAL", "DEEPSEEK2"})
    void choicesOfOnePromptComputeItOnce(GeneratedArchitecture arch) throws Exception {
        Path model = TinyModels.of(arch, GgmlType.Q8_0);
        int[] shared = prompt(100, 3);
        List<GenerationRequest> choices = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            choices.add(new GenerationRequest(shared, SamplingParams.builder().temperature(0.9).seed(70L + i)
                    .ignoreEos(true).logprobs(1).build(), 12));
        }
        List<int[]> tokens = new ArrayList<>();
        List<double[]> logprobs = new ArrayList<>();
        long reusedByChoices = 0;
        for (boolean reuse : new boolean[] {true, false}) {
            AtomicLong reused = new AtomicLong();
            SchedulerObserver observer = new SchedulerObserver() {
                @Override
                public void prefixReused(int count) {
                    reused.addAndGet(count);
                }
            };
            try (CpuBackend backend = new CpuBackend(2);
                 LoadedModel loaded = LoadedModel.open(model, backend, 256, 4, 1024)) {
                loaded.reusePrefixes(reuse);
                try (Scheduler scheduler = loaded.scheduler(16, observer)) {
                    List<Scheduler.SequenceRequest> sequences = new ArrayList<>();
                    List<RecordingSink> sinks = new ArrayList<>();
                    for (GenerationRequest r : choices) {
                        RecordingSink sink = new RecordingSink();
                        sinks.add(sink);
                        sequences.add(new Scheduler.SequenceRequest(r, sink));
                    }
                    scheduler.submit(sequences, null); // one request, four choices
                    for (RecordingSink sink : sinks) {
                        sink.await(Duration.ofSeconds(60));
                        tokens.add(sink.tokens());
                        logprobs.add(sink.logprobs());
                    }
                }
            }
            if (reuse) {
                reusedByChoices = reused.get();
            }
        }
        assertThat(reusedByChoices).as("three choices take the six whole blocks of the first's prompt").isEqualTo(3 * 96);
        for (int i = 0; i < 4; i++) {
            assertThat(tokens.get(i)).as("choice %d", i).containsExactly(tokens.get(4 + i));
            assertThat(logprobs.get(i)).as("choice %d", i).containsExactly(logprobs.get(4 + i));
        }
        assertThat(tokens.get(0)).as("seeded differently, the choices differ").isNotEqualTo(tokens.get(1));
    }

    /** Preempted sequences come back onto their own remembered blocks and still answer as alone. */
    @org.junit.jupiter.api.Test
    void preemptedSequencesReadmitOntoTheirRememberedBlocks() throws Exception {
        Path model = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
        List<GenerationRequest> requests = new ArrayList<>();
        for (int r = 0; r < 6; r++) {
            requests.add(request(prompt(30 + 5 * r, 10 + r), 30));
        }
        AtomicLong reused = new AtomicLong();
        AtomicLong preempted = new AtomicLong();
        SchedulerObserver observer = new SchedulerObserver() {
            @Override
            public void prefixReused(int tokens) {
                reused.addAndGet(tokens);
            }

            @Override
            public void preempted() {
                preempted.incrementAndGet();
            }
        };
        List<RecordingSink> sinks = new ArrayList<>();
        // 128 positions (+ a block a slot) for 6 sequences of up to 85: preemption is certain
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel loaded = LoadedModel.open(model, backend, 32, 6, 128)) {
            loaded.reusePrefixes(true);
            try (Scheduler scheduler = loaded.scheduler(16, observer)) {
                for (GenerationRequest r : requests) {
                    RecordingSink sink = new RecordingSink();
                    sinks.add(sink);
                    scheduler.submit(List.of(new Scheduler.SequenceRequest(r, sink)), null);
                }
                for (RecordingSink sink : sinks) {
                    sink.await(Duration.ofSeconds(60));
                }
            }
        }
        assertThat(preempted.get()).as("preemptions").isPositive();
        assertThat(reused.get()).as("readmitted sequences took blocks back").isPositive();
        for (int r = 0; r < requests.size(); r++) {
            List<RecordingSink> alone = runInTurn(model, false, null, new AtomicLong(), List.of(requests.get(r)));
            assertThat(sinks.get(r).tokens()).as("request %d", r).containsExactly(alone.getFirst().tokens());
            assertThat(sinks.get(r).logprobs()).as("request %d", r).containsExactly(alone.getFirst().logprobs());
        }
    }
}
