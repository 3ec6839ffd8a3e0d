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
import dev.switchyard.engine.schedule.ContextLengthExceededException;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerationTest {

    @TempDir
    Path dir;

    private static GenerationResult greedy(Path file, int[] prompt, int tokens) throws Exception {
        try (CpuBackend backend = new CpuBackend(2); LoadedModel model = LoadedModel.open(file, backend, 32, 1, 128)) {
            SamplingParams p = SamplingParams.builder().temperature(0).ignoreEos(true).logprobs(2).build();
            return model.generator().generate(List.of(new GenerationRequest(prompt, p, tokens)), TokenListener.NONE).getFirst();
        }
    }

    @Test
    void quantizedModelsPickTheSameGreedyTokensWhereTheMarginAllows() throws Exception {
        int[] prompt = {10, 20, 30, 40, 50};
        int n = 16;
        List<Double> margins = new ArrayList<>();
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.F32), backend, 32, 1, 128)) {
            SamplingParams p = SamplingParams.builder().temperature(0).ignoreEos(true).logprobs(2).build();
            model.generator().generate(List.of(new GenerationRequest(prompt, p, n)),
                    (r, token, lp) -> margins.add(lp.topLogprob(0) - lp.topLogprob(1)));
        }
        int[] reference = greedy(TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.F32), prompt, n).tokens();
        for (GgmlType type : new GgmlType[] {GgmlType.F16, GgmlType.Q8_0}) {
            int[] tokens = greedy(TinyModels.of(GeneratedArchitecture.MIXTRAL, type), prompt, n).tokens();
            int firstDifference = 0;
            while (firstDifference < n && tokens[firstDifference] == reference[firstDifference]) {
                firstDifference++;
            }
            if (firstDifference < n) {
                // Weight rounding may flip a choice only where F32's top-2 logits nearly tie.
                assertThat(margins.get(firstDifference)).as(type + " diverged at " + firstDifference).isLessThan(0.5);
            }
        }
    }

    @Test
    void sameSeedSameTokensAndAnotherSeedDiffers() throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.QWEN3MOE, GgmlType.Q8_0);
        int[] prompt = {1, 2, 3};
        try (CpuBackend backend = new CpuBackend(2); LoadedModel model = LoadedModel.open(file, backend, 32, 2, 128)) {
            SamplingParams a = SamplingParams.builder().temperature(3.0).seed(5L).ignoreEos(true).build();
            SamplingParams b = SamplingParams.builder().temperature(3.0).seed(6L).ignoreEos(true).build();
            int[] first = model.generator().generate(List.of(new GenerationRequest(prompt, a, 20)), TokenListener.NONE).getFirst().tokens();
            int[] again = model.generator().generate(List.of(new GenerationRequest(prompt, b, 20), new GenerationRequest(prompt, a, 20)),
                    TokenListener.NONE).get(1).tokens();
            int[] other = model.generator().generate(List.of(new GenerationRequest(prompt, b, 20)), TokenListener.NONE).getFirst().tokens();
            assertThat(again).containsExactly(first);
            assertThat(other).isNotEqualTo(first);
        }
    }

    @Test
    void generationStopsAtMaxTokensOrEndOfGeneration() throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
        try (CpuBackend backend = new CpuBackend(1); LoadedModel model = LoadedModel.open(file, backend, 32, 1, 128)) {
            int eos = model.tokenizer().eosId();
            GenerationResult length = model.generator().generate(
                    List.of(new GenerationRequest(new int[] {4}, SamplingParams.builder().temperature(0).ignoreEos(true).build(), 5)),
                    TokenListener.NONE).getFirst();
            assertThat(length.tokens()).hasSize(5);
            assertThat(length.finishReason()).isEqualTo(FinishReason.LENGTH);
            // a logit bias forcing EOS ends the sequence at its first token
            SamplingParams forceEos = SamplingParams.builder().temperature(0).logitBias(java.util.Map.of(eos, 100.0)).build();
            GenerationResult stop = model.generator().generate(List.of(new GenerationRequest(new int[] {4}, forceEos, 5)),
                    TokenListener.NONE).getFirst();
            assertThat(stop.tokens()).containsExactly(eos);
            assertThat(stop.finishReason()).isEqualTo(FinishReason.STOP);
        }
    }

    @Test
    void promptsOutsideTheVocabularyOrContextAreRejected() throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
        SamplingParams p = SamplingParams.greedy();
        try (CpuBackend backend = new CpuBackend(1); LoadedModel model = LoadedModel.open(file, backend, 32, 1, 0)) {
            assertThatThrownBy(() -> model.generator().generate(List.of(new GenerationRequest(new int[] {999_999}, p, 3)), TokenListener.NONE))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside the vocabulary");
            assertThatThrownBy(() -> model.generator().generate(List.of(new GenerationRequest(new int[300], p, 3)), TokenListener.NONE))
                    .isInstanceOf(ContextLengthExceededException.class).hasMessageContaining("context of 256");
            assertThatThrownBy(() -> model.generator().generate(List.of(new GenerationRequest(new int[250], p, 7)), TokenListener.NONE))
                    .isInstanceOf(ContextLengthExceededException.class).hasMessageContaining("250 in the prompt and 7");
        }
        // a pool of 128 positions (plus a block per sequence) limits one sequence before the context does
        try (CpuBackend backend = new CpuBackend(1); LoadedModel model = LoadedModel.open(file, backend, 32, 1, 128)) {
            assertThatThrownBy(() -> model.generator().generate(List.of(new GenerationRequest(new int[200], p, 3)), TokenListener.NONE))
                    .isInstanceOf(ContextLengthExceededException.class).hasMessageContaining("KV cache");
        }
    }

    @Test
    void modelWithARealSentencePieceVocabularyLoadsAndGenerates() throws Exception {
        Path vocab = sharedVocab("ggml-vocab-llama-spm.gguf");
        assumeTrue(vocab != null, "../shared/vocab is not present: skipping the real-vocabulary model");
        Path file = dir.resolve("spm.gguf");
        RandomModelGenerator.write(new ModelSpec(GeneratedArchitecture.MIXTRAL, ModelPreset.TINY, 1, null, null, null, null,
                null, 256, 256, GgmlType.Q8_0, 3, vocab), file);
        try (CpuBackend backend = new CpuBackend(2); LoadedModel model = LoadedModel.open(file, backend, 32, 1, 128)) {
            assertThat(model.config().vocabSize()).isEqualTo(32000);
            int[] prompt = model.tokenizer().encode("Hello world", model.tokenizer().addBosByDefault(), false);
            assertThat(prompt[0]).isEqualTo(model.tokenizer().bosId());
            GenerationResult r = model.generator().generate(
                    List.of(new GenerationRequest(prompt, SamplingParams.builder().temperature(0).ignoreEos(true).build(), 8)),
                    TokenListener.NONE).getFirst();
            assertThat(r.tokens()).hasSize(8);
            assertThat(java.util.Arrays.stream(r.tokens()).allMatch(t -> t >= 0 && t < 32000)).isTrue();
        }
    }

    static Path sharedVocab(String name) {
        return dev.switchyard.engine.SharedFolder.subfolder("vocab").map(d -> d.resolve(name))
                .filter(Files::isRegularFile).orElse(null);
    }
}
