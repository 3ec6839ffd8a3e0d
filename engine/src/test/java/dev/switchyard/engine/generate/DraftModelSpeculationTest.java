package dev.switchyard.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.modelgen.ModelPreset;
import dev.switchyard.engine.modelgen.ModelSpec;
import dev.switchyard.engine.modelgen.RandomModelGenerator;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.engine.schedule.SchedulerObserver;
import dev.switchyard.engine.schedule.Speculation;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Speculative decoding with a draft model changes no sequence's tokens, log-probabilities or finish,
 * whatever the draft proposes, batched, with steps too small for every proposal and caches small
 * enough to preempt; a draft that is the model itself has every greedy proposal kept, which holds
 * only if the draft's own keys and values follow each sequence through kept and refused proposals.
 */
class DraftModelSpeculationTest {

    @TempDir
    static Path dir;

    /** Random prompts of mixed lengths, each request sampled its own way. */
    private static List<GenerationRequest> requests(int count, int vocab, boolean greedyOnly) {
        SplittableRandom random = new SplittableRandom(11);
        List<GenerationRequest> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] prompt = random.ints(3 + random.nextInt(40), 0, vocab - 3).toArray(); // the last three are control
            SamplingParams.Builder params = greedyOnly ? SamplingParams.builder().temperature(0) : switch (i % 3) {
                case 0 -> SamplingParams.builder().temperature(0);
                case 1 -> SamplingParams.builder().temperature(0.8).topK(20).seed(500L + i);
                default -> SamplingParams.builder().temperature(0).repetitionPenalty(1.1).frequencyPenalty(0.2);
            };
            list.add(new GenerationRequest(prompt, params.ignoreEos(true).logprobs(2).build(), 18 + i % 7));
        }
        return list;
    }

    private static List<GenerationResult> run(Path file, Path draftFile, List<GenerationRequest> requests, int stepTokens,
                                              int sequences, int kvPositions, int draftKvPositions, int tokens,
                                              double minProbability, Proposals proposals) throws Exception {
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(file, backend, stepTokens, sequences, c -> kvPositions, null, null,
                     KvCacheType.F32)) {
            if (draftFile == null) {
                return model.generator(Speculation.NONE, proposals).generate(requests, TokenListener.NONE);
            }
            try (LoadedModel draftModel = LoadedModel.open(draftFile, backend, stepTokens, sequences,
                    c -> draftKvPositions, null, null, KvCacheType.F32)) {
                return model.generator(Speculation.lookup(tokens, 1, 1), proposals,
                        draftModel.asDraftOf(model, minProbability)).generate(requests, TokenListener.NONE);
            }
        }
    }

    private static void assertSame(List<GenerationResult> expected, List<GenerationResult> actual) {
        for (int i = 0; i < expected.size(); i++) {
            assertThat(actual.get(i).tokens()).as("request %d tokens", i).containsExactly(expected.get(i).tokens());
            assertThat(actual.get(i).logprobs()).as("request %d logprobs", i).containsExactly(expected.get(i).logprobs());
            assertThat(actual.get(i).finishReason()).isEqualTo(expected.get(i).finishReason());
        }
    }

    /** Mixtral, and LFM2-MoE, whose draft keeps its convolution blocks' rows in its windowed pool. */
    @ParameterizedTest
    @EnumSource(value = GeneratedArchitecture.class, names = {"MIXTRAL", "LFM2MOE"})
    void theModelAsItsOwnDraftHasEveryGreedyProposalKept(GeneratedArchitecture arch) throws Exception {
        Path file = TinyModels.of(arch, GgmlType.Q8_0);
        List<GenerationRequest> all = requests(6, 500, true);
        List<GenerationResult> plain = run(file, null, all, 64, 6, 6 * 256, 0, 0, 0, new Proposals());
        Proposals proposals = new Proposals();
        List<GenerationResult> drafted = run(file, file, all, 64, 6, 6 * 256, 6 * 256, 4, 0, proposals);
        assertSame(plain, drafted);
        assertThat(proposals.drafted).as("tokens proposed").isPositive();
        assertThat(proposals.kept).as("of %d proposed", proposals.drafted).isEqualTo(proposals.drafted);
    }

    @Test
    void anotherDraftChangesNothingEvenWhenStepsAndCachesAreTight() throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
        // a different model of the same vocabulary: one layer, other weights
        Path draft = dir.resolve("draft.gguf");
        RandomModelGenerator.write(new ModelSpec(GeneratedArchitecture.QWEN2MOE, ModelPreset.TINY, 1, null, null, null,
                null, null, null, 256, GgmlType.Q8_0, 8, null), draft);
        List<GenerationRequest> all = requests(10, 500, false);
        List<GenerationResult> plain = run(file, null, all, 64, 10, 10 * 256, 0, 0, 0, new Proposals());
        Proposals wide = new Proposals();
        assertSame(plain, run(file, draft, all, 64, 10, 10 * 256, 10 * 256, 5, 0, wide));
        assertThat(wide.drafted).isPositive();
        // steps of 16 rows leave little room; both caches small enough to preempt and to refuse the draft blocks
        Proposals tight = new Proposals();
        assertSame(plain, run(file, draft, all, 16, 10, 160, 96, 8, 0, tight));
        assertThat(tight.drafted).isPositive();
        // the model as its own draft, sampled and penalized: proposals refused as well as kept
        Proposals own = new Proposals();
        assertSame(plain, run(file, file, all, 32, 10, 10 * 256, 10 * 256, 3, 0, own));
        assertThat(own.kept).isPositive().isLessThan(own.drafted);
        // no draft token is certain: nothing proposed at all
        Proposals none = new Proposals();
        assertSame(plain, run(file, draft, all, 64, 10, 10 * 256, 10 * 256, 4, 1.0, none));
        assertThat(none.drafted).isZero();
        System.out.printf("draft: kept %d of %d proposed (wide), %d of %d (tight), own draft %d of %d%n", wide.kept,
                wide.drafted, tight.kept, tight.drafted, own.kept, own.drafted);
    }

    /**
     * A model whose blocks carry a state per sequence (Qwen3.5-MoE-shaped), drafted for by another:
     * where the sampler rejects a proposal, the state goes back to before the step and the kept
     * tokens are computed again, so nothing changes; a tight step and cache preempt as well.
     */
    @Test
    void aModelThatCarriesAStateIsDraftedForAndChangesNothing() throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.QWEN35MOE, GgmlType.Q8_0);
        Path draft = dir.resolve("draft-for-qwen35.gguf");
        RandomModelGenerator.write(new ModelSpec(GeneratedArchitecture.QWEN2MOE, ModelPreset.TINY, 1, null, null, null,
                null, null, null, 256, GgmlType.Q8_0, 8, null), draft);
        List<GenerationRequest> all = requests(8, 500, false);
        List<GenerationResult> plain = run(file, null, all, 64, 8, 8 * 256, 0, 0, 0, new Proposals());
        Proposals wide = new Proposals();
        assertSame(plain, run(file, draft, all, 64, 8, 8 * 256, 8 * 256, 5, 0, wide));
        Proposals tight = new Proposals();
        assertSame(plain, run(file, draft, all, 16, 8, 128, 96, 8, 0, tight));
        assertThat(wide.drafted).isPositive();
        assertThat(wide.kept).as("of %d proposed", wide.drafted).isLessThan(wide.drafted);
        assertThat(tight.drafted).isPositive();
    }

    @Test
    void aDraftOfAnotherVocabularyIsRefusedByName() throws Exception {
        Path vocabulary = Path.of("../../shared/vocab/ggml-vocab-starcoder.gguf");
        assumeTrue(Files.isRegularFile(vocabulary), "StarCoder's vocabulary is not at " + vocabulary.toAbsolutePath());
        Path other = dir.resolve("other-vocabulary.gguf");
        RandomModelGenerator.write(new ModelSpec(GeneratedArchitecture.MIXTRAL, ModelPreset.TINY, 1, null, null, null,
                null, null, null, 256, GgmlType.Q8_0, 5, vocabulary), other);
        try (CpuBackend backend = new CpuBackend(1);
             LoadedModel model = LoadedModel.open(TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0), backend, 16,
                     2, c -> 512, null, null, KvCacheType.F32);
             LoadedModel draft = LoadedModel.open(other, backend, 16, 2, c -> 512, null, null, KvCacheType.F32);
             LoadedModel few = LoadedModel.open(TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0), backend, 16,
                     1, c -> 512, null, null, KvCacheType.F32)) {
            assertThatThrownBy(() -> draft.asDraftOf(model, 0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("vocabulary");
            assertThatThrownBy(() -> few.asDraftOf(model, 0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("follows 1 sequences");
            assertThatThrownBy(() -> model.generator(Speculation.NONE, SchedulerObserver.NONE, model.asDraftOf(model, 0)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("speculative tokens");
        }
    }
}
