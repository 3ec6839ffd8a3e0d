package dev.switchyard.engine.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.cache.residency.ExpertMemory;
import dev.switchyard.engine.forward.ExpertOffload;
import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.generate.GenerationResult;
import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.generate.TokenListener;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.lora.LoraAdapter;
import dev.switchyard.engine.lora.LoraMerge;
import dev.switchyard.engine.lora.LoraMix;
import dev.switchyard.engine.lora.LoraTarget;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.modelgen.RandomLoraGenerator;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sequences that apply LoRA adapters, through the scheduler: greedy replies equal the merged
 * model's; a batch of sequences with different adapters (or none) gives each the reply it gets
 * alone; and the prefix cache never hands a sequence blocks computed under another mix.
 */
class LoraServingTest {

    @TempDir
    Path dir;

    private Path model;
    private Path first;
    private Path second;

    @BeforeEach
    void write() throws Exception {
        model = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.F32);
        first = dir.resolve("first.gguf");
        second = dir.resolve("second.gguf");
        try (GgufFile base = GgufFile.open(model)) {
            RandomLoraGenerator.write(base, new RandomLoraGenerator.LoraSpec(8, 16, EnumSet.allOf(LoraTarget.class),
                    GgmlType.F16, 1, 0.5), first);
            RandomLoraGenerator.write(base, new RandomLoraGenerator.LoraSpec(4, 8, RandomLoraGenerator.ATTENTION,
                    GgmlType.F32, 2, 0.8), second);
        }
    }

    private static int[] prompt(int length, int seed) {
        int[] p = new int[length];
        for (int i = 0; i < length; i++) {
            p[i] = (i * 37 + seed * 11 + 5) % 500;
        }
        return p;
    }

    private static GenerationRequest greedy(int[] prompt, int tokens, LoraMix mix) {
        return new GenerationRequest(prompt, SamplingParams.builder().temperature(0).ignoreEos(true).logprobs(2).build(),
                tokens).withAdapters(mix);
    }

    private static GenerationRequest sampled(int[] prompt, int tokens, long seed, LoraMix mix) {
        return new GenerationRequest(prompt, SamplingParams.builder().temperature(0.9).topP(0.95).seed(seed)
                .ignoreEos(true).logprobs(2).build(), tokens).withAdapters(mix);
    }

    private LoadedModel open(CpuBackend backend, Path file, int sequences) throws Exception {
        LoadedModel m = LoadedModel.open(file, backend, 32, sequences, sequences * 128);
        if (file.equals(model)) {
            m.loadAdapters(List.of(first, second));
        }
        return m;
    }

    @Test
    void greedyRepliesEqualTheMergedModels() throws Exception {
        Path merged = dir.resolve("merged.gguf");
        try (GgufFile base = GgufFile.open(model); LoraAdapter a = LoraAdapter.open(first, base)) {
            LoraMerge.write(base, List.of(new LoraMerge.Scaled(a, 1f)), merged);
        }
        int[] p = prompt(20, 1);
        try (CpuBackend backend = new CpuBackend(2)) {
            GenerationResult applied;
            GenerationResult plain;
            try (LoadedModel m = open(backend, model, 1)) {
                applied = m.generator().generate(List.of(greedy(p, 16, LoraMix.of(1f))), TokenListener.NONE).getFirst();
                plain = m.generator().generate(List.of(greedy(p, 16, LoraMix.NONE)), TokenListener.NONE).getFirst();
            }
            GenerationResult expected;
            try (LoadedModel m = open(backend, merged, 1)) {
                expected = m.generator().generate(List.of(greedy(p, 16, LoraMix.NONE)), TokenListener.NONE).getFirst();
            }
            assertThat(applied.tokens()).containsExactly(expected.tokens());
            assertThat(applied.logprobs()).usingComparatorWithPrecision(1e-3).containsExactly(expected.logprobs());
            assertThat(applied.tokens()).isNotEqualTo(plain.tokens());
        }
    }

    @Test
    void sequencesWithDifferentAdaptersReplyInABatchAsAlone() throws Exception {
        LoraMix[] mixes = {LoraMix.NONE, LoraMix.of(1f), LoraMix.of(0f, 1f), LoraMix.of(0.5f, 0.5f)};
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            LoraMix mix = mixes[i % mixes.length];
            requests.add(i % 2 == 0 ? greedy(prompt(5 + 7 * i, i), 12, mix) : sampled(prompt(9 + 3 * i, i), 12, 100 + i, mix));
        }
        try (CpuBackend backend = new CpuBackend(2)) {
            List<GenerationResult> batched;
            try (LoadedModel m = open(backend, model, 8)) {
                batched = m.generator().generate(requests, TokenListener.NONE);
            }
            try (LoadedModel m = open(backend, model, 1)) {
                for (int i = 0; i < requests.size(); i++) {
                    GenerationResult alone = m.generator().generate(List.of(requests.get(i)), TokenListener.NONE).getFirst();
                    assertThat(batched.get(i).tokens()).as("request %d", i).containsExactly(alone.tokens());
                    assertThat(batched.get(i).logprobs()).as("request %d", i).containsExactly(alone.logprobs());
                }
            }
        }
    }

    /** Runs the requests one after another, prefix caching on, and returns their sinks. */
    private List<RecordingSink> inTurn(List<GenerationRequest> requests) throws Exception {
        try (CpuBackend backend = new CpuBackend(2); LoadedModel m = open(backend, model, 2)) {
            m.reusePrefixes(true);
            try (Scheduler scheduler = m.scheduler(8, new SchedulerObserver() { })) {
                return RecordingSink.inTurn(scheduler, requests);
            }
        }
    }

    @Test
    void thePrefixCacheServesAPromptsBlocksOnlyToTheMixThatComputedThem() throws Exception {
        int[] p = prompt(48, 3);
        List<GenerationRequest> requests = List.of(greedy(p, 8, LoraMix.NONE), greedy(p, 8, LoraMix.of(1f)),
                greedy(p, 8, LoraMix.of(1f)), greedy(p, 8, LoraMix.of(0.5f)), greedy(p, 8, LoraMix.NONE));
        List<RecordingSink> sinks = inTurn(requests);
        assertThat(sinks.get(0).reused()).isZero();
        assertThat(sinks.get(1).reused()).as("another mix computed those blocks").isZero();
        assertThat(sinks.get(2).reused()).as("the same mix did").isEqualTo(32);
        assertThat(sinks.get(3).reused()).as("another scale is another mix").isZero();
        assertThat(sinks.get(4).reused()).isEqualTo(32);
        for (int r = 0; r < requests.size(); r++) {
            RecordingSink alone = inTurn(List.of(requests.get(r))).getFirst();
            assertThat(sinks.get(r).tokens()).as("request %d", r).containsExactly(alone.tokens());
            assertThat(sinks.get(r).logprobs()).as("request %d", r).containsExactly(alone.logprobs());
        }
    }

    @Test
    void withExpertsOffloadedAdaptedExpertsComputeWhatTheyComputeInPlace() throws Exception {
        // first adapts every matrix, the routed experts' too; hybrid execution may not take an adapted expert
        LoraMix[] mixes = {LoraMix.NONE, LoraMix.of(1f), LoraMix.of(0.5f, 1f)};
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            requests.add(greedy(prompt(6 + 5 * i, i), 10, mixes[i % mixes.length]));
        }
        try (CpuBackend backend = new CpuBackend(2)) {
            List<GenerationResult> inPlace;
            try (LoadedModel m = open(backend, model, 6)) {
                inPlace = m.generator().generate(requests, TokenListener.NONE);
            }
            ExpertOffload quarter = new ExpertOffload(ExpertMemory.parse("25%"), 0, "gate", 1, true);
            try (LoadedModel m = LoadedModel.open(model, backend, 32, 6, c -> 6 * 128, null, quarter)) {
                m.loadAdapters(List.of(first, second));
                List<GenerationResult> offloaded = m.generator().generate(requests, TokenListener.NONE);
                for (int i = 0; i < requests.size(); i++) {
                    assertThat(offloaded.get(i).tokens()).as("request %d", i).containsExactly(inPlace.get(i).tokens());
                    assertThat(offloaded.get(i).logprobs()).as("request %d", i).containsExactly(inPlace.get(i).logprobs());
                }
            }
        }
    }

    @Test
    void adaptersLoadAndUnloadBetweenStepsWhileOthersRun() throws Exception {
        int[] p = prompt(12, 4);
        GenerationResult expected;
        try (CpuBackend backend = new CpuBackend(2); LoadedModel both = open(backend, model, 1)) {
            expected = both.generator().generate(List.of(greedy(p, 12, LoraMix.of(0f, 1f))), TokenListener.NONE).getFirst();
        }
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel m = LoadedModel.open(model, backend, 32, 4, 4 * 128)) {
            m.loadAdapters(List.of(first));
            Scheduler scheduler = m.scheduler(8, new SchedulerObserver() { });
            try {
                RecordingSink longRun = new RecordingSink();
                scheduler.submit(List.of(new Scheduler.SequenceRequest(greedy(prompt(8, 1), 200, LoraMix.of(1f)),
                        longRun)), null);
                longRun.awaitTokens(2, Duration.ofSeconds(30));
                int id = scheduler.betweenSteps(() -> {
                    m.loadAdapters(List.of(second));
                    return m.adapters().size() - 1;
                }).get(30, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(id).isEqualTo(1);
                RecordingSink loaded = new RecordingSink();
                scheduler.submit(List.of(new Scheduler.SequenceRequest(greedy(p, 12, LoraMix.of(0f, 1f)), loaded)), null);
                loaded.await(Duration.ofSeconds(60));
                assertThat(loaded.tokens()).containsExactly(expected.tokens());
                assertThat(loaded.logprobs()).containsExactly(expected.logprobs());
                // adapter 0 is in use until the long run ends
                assertThat(scheduler.betweenSteps(() -> scheduler.sequencesApplying(0)).get(30,
                        java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(1);
                longRun.await(Duration.ofSeconds(60));
                scheduler.betweenSteps(() -> {
                    assertThat(scheduler.sequencesApplying(0)).isZero();
                    m.unloadAdapter(0);
                    return null;
                }).get(30, java.util.concurrent.TimeUnit.SECONDS);
                assertThatThrownBy(() -> scheduler.submit(List.of(new Scheduler.SequenceRequest(
                        greedy(p, 2, LoraMix.of(1f)), new RecordingSink())), null))
                        .hasMessageContaining("LoRA adapter 0 is not loaded");
                RecordingSink again = new RecordingSink();
                scheduler.submit(List.of(new Scheduler.SequenceRequest(greedy(p, 12, LoraMix.of(0f, 1f)), again)), null);
                again.await(Duration.ofSeconds(60));
                assertThat(again.tokens()).containsExactly(expected.tokens());
                assertThat(m.adapters().get(0)).isNull();
            } finally {
                scheduler.close();
            }
            assertThat(scheduler.betweenSteps(() -> 1)).failsWithin(Duration.ofSeconds(5))
                    .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                    .withCauseInstanceOf(SchedulerUnavailableException.class);
        }
    }

    @Test
    void aSequencePreparedBeforeItsAdapterWasUnloadedFailsWhenItArrives() throws Exception {
        try (CpuBackend backend = new CpuBackend(1); LoadedModel m = open(backend, model, 1)) {
            ContinuousBatcher batcher = new ContinuousBatcher(m.transformer(), m.kv(), m.tokenizer()::isEog,
                    SchedulerObserver.NONE, System::nanoTime);
            RecordingSink sink = new RecordingSink();
            ActiveSequence s = batcher.prepare(greedy(prompt(4, 2), 4, LoraMix.of(0f, 0.5f)), sink, System.nanoTime(), null);
            m.unloadAdapter(1);
            batcher.add(s);
            assertThat(batcher.hasWork()).isFalse();
            assertThatThrownBy(() -> sink.await(Duration.ofSeconds(1))).hasRootCauseMessage(
                    "LoRA adapter 1 is not loaded (it was unloaded)");
        }
    }

    @Test
    void anAdapterThatIsNotLoadedIsRefused() throws Exception {
        try (CpuBackend backend = new CpuBackend(1); LoadedModel m = open(backend, model, 1);
             Scheduler scheduler = m.scheduler(4, new SchedulerObserver() { })) {
            assertThatThrownBy(() -> scheduler.submit(List.of(new Scheduler.SequenceRequest(
                    greedy(prompt(4, 1), 2, LoraMix.of(0, 0, 1f)), new RecordingSink())), null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("LoRA adapter 2 is not loaded");
        }
    }
}
