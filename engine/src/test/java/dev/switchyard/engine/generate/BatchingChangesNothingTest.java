package dev.switchyard.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A sequence's tokens and log-probabilities are identical, bit for bit, whether it runs alone or in
 * a batch of up to 16 with others, however its prompt is chunked, and at any thread count; with a
 * float KV cache and with an F16 one.
 */
class BatchingChangesNothingTest {

    private static List<GenerationRequest> requests(int count, int vocab) {
        SplittableRandom random = new SplittableRandom(99);
        List<GenerationRequest> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] prompt = new int[1 + random.nextInt(40)];
            for (int j = 0; j < prompt.length; j++) {
                prompt[j] = random.nextInt(vocab - 3); // the last three ids are control tokens
            }
            SamplingParams params = i % 2 == 0
                    ? SamplingParams.builder().temperature(0).ignoreEos(true).logprobs(3).build()
                    : SamplingParams.builder().temperature(0.9).topP(0.9).seed(1000L + i).ignoreEos(true).logprobs(3).build();
            list.add(new GenerationRequest(prompt, params, 12));
        }
        return list;
    }

    private static List<GenerationResult> run(Path file, List<GenerationRequest> requests, int threads, int stepTokens,
                                              int sequences) throws Exception {
        return run(file, requests, threads, stepTokens, sequences, KvCacheType.F32);
    }

    private static List<GenerationResult> run(Path file, List<GenerationRequest> requests, int threads, int stepTokens,
                                              int sequences, KvCacheType kvType) throws Exception {
        try (CpuBackend backend = new CpuBackend(threads);
             LoadedModel model = LoadedModel.open(file, backend, stepTokens, sequences, c -> sequences * 64, null, null,
                     kvType)) {
            return model.generator().generate(requests, TokenListener.NONE);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GeneratedArchitecture.class, names = {"MIXTRAL", "QWEN2MOE", "OLMOE", "DEEPSEEK", "DEEPSEEK2", "DEEPSEEK2_LITE", "GLM4MOE", "GLM4MOE_AIR", "GPT_OSS", "LFM2MOE", "EXAONE_MOE", "QWEN35MOE", "GRANITE_HYBRID", "NEMOTRON_H_MOE", "NEMOTRON_H_MOE_LATENT", "QWEN3NEXT", "KIMI_LINEAR", "MIMO2"})
    void eachSequenceGeneratesTheSameAloneAsInABatch(GeneratedArchitecture arch) throws Exception {
        Path file = TinyModels.of(arch, GgmlType.Q8_0);
        List<GenerationRequest> all = requests(16, 500);
        List<GenerationResult> batched = run(file, all, 2, 64, 16);
        List<GenerationResult> smallSteps = run(file, all, 3, 16, 16);
        for (int i = 0; i < all.size(); i++) {
            List<GenerationResult> alone = run(file, List.of(all.get(i)), 1, 7, 1);
            assertThat(batched.get(i).tokens()).as("request " + i + " tokens").containsExactly(alone.getFirst().tokens());
            assertThat(batched.get(i).logprobs()).as("request " + i + " logprobs").containsExactly(alone.getFirst().logprobs());
            assertThat(smallSteps.get(i).tokens()).containsExactly(alone.getFirst().tokens());
            assertThat(smallSteps.get(i).logprobs()).containsExactly(alone.getFirst().logprobs());
        }
    }

    /**
     * So with an F16 or Q8_0 KV cache: each position's halves, or each head's groups of a position,
     * are rounded alone, whatever else the step holds.
     */
    @ParameterizedTest(name = "{0}, {1} cache")
    @org.junit.jupiter.params.provider.CsvSource({"MIXTRAL, F16", "DEEPSEEK2, F16", "GPT_OSS, F16", "MIXTRAL, Q8_0",
        "DEEPSEEK2, Q8_0", "GPT_OSS, Q8_0"})
    void aCacheThatRoundsChangesNothingEither(GeneratedArchitecture arch, KvCacheType type) throws Exception {
        Path file = TinyModels.of(arch, GgmlType.Q8_0);
        List<GenerationRequest> all = requests(8, 500);
        List<GenerationResult> batched = run(file, all, 3, 16, 8, type);
        for (int i = 0; i < all.size(); i++) {
            List<GenerationResult> alone = run(file, List.of(all.get(i)), 1, 7, 1, type);
            assertThat(batched.get(i).tokens()).as("request " + i + " tokens").containsExactly(alone.getFirst().tokens());
            assertThat(batched.get(i).logprobs()).as("request " + i + " logprobs").containsExactly(alone.getFirst().logprobs());
        }
    }
}
