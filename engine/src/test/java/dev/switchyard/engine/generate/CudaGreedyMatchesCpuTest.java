package dev.switchyard.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.modelgen.ModelPreset;
import dev.switchyard.engine.modelgen.ModelSpec;
import dev.switchyard.engine.modelgen.RandomModelGenerator;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.cuda.CudaBackend;
import dev.switchyard.kernels.cuda.CudaProbe;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Whole models on the CUDA backend pick the CPU backend's greedy tokens: two sequences of different
 * lengths decoded side by side, for every family feature (MoE and dense, biases, QK-norm per head
 * and over the vector, shared experts gated and not, leading dense blocks, latent attention with and
 * without the query's low-rank path, sigmoid routing over expert groups, both RoPE layouts) and
 * several weight formats. Runs only
 * where a GPU is present; generated models' top-1 margins are far above the backends' rounding
 * differences.
 */
class CudaGreedyMatchesCpuTest {

    @TempDir
    static Path dir;

    @BeforeEach
    void needsGpu() {
        CudaProbe.Result probe = CudaProbe.probe();
        assumeTrue(probe.available(), () -> "needs a GPU: " + probe.describe());
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"MIXTRAL, Q8_0", "QWEN3MOE, F16", "QWEN2MOE, BF16", "OLMOE, Q4_K", "LLAMA, Q6_K", "QWEN2, Q4_0",
            "QWEN3, F32", "QWEN3MOE, Q5_K", "DEEPSEEK, Q4_0", "DEEPSEEK2, Q8_0", "DEEPSEEK2_LITE, BF16", "GLM4MOE, Q8_0", "GLM4MOE_AIR, F16", "GPT_OSS, MXFP4",
            "LFM2MOE, Q8_0", "QWEN35MOE, Q8_0", "GRANITE_HYBRID, Q8_0", "NEMOTRON_H_MOE, Q8_0",
            "KIMI_LINEAR, Q8_0", "MIMO2, Q8_0"})
    void tinyModelsOfEveryFamily(GeneratedArchitecture arch, GgmlType type) throws Exception {
        assertSameTokens(TinyModels.of(arch, type));
    }

    /** An F16 KV cache on both backends: the half kernels in a whole model, latent attention and windows included. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"MIXTRAL, Q8_0", "DEEPSEEK2, Q8_0", "GPT_OSS, MXFP4"})
    void anF16KvCacheOnBoth(GeneratedArchitecture arch, GgmlType type) throws Exception {
        assertSameTokens(TinyModels.of(arch, type), KvCacheType.F16);
    }

    /** A Q8_0 KV cache on both backends: store_kv_q8 and the *_q8 kernels in a whole model. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"MIXTRAL, Q8_0", "DEEPSEEK2, Q8_0", "GPT_OSS, MXFP4"})
    void aQ8KvCacheOnBoth(GeneratedArchitecture arch, GgmlType type) throws Exception {
        assertSameTokens(TinyModels.of(arch, type), KvCacheType.Q8_0);
    }

    @Test
    void theWholeTinyPreset() throws Exception {
        Path file = dir.resolve("tiny.gguf");
        RandomModelGenerator.write(ModelSpec.of(GeneratedArchitecture.MIXTRAL, ModelPreset.TINY, GgmlType.Q8_0, 7), file);
        assertSameTokens(file);
    }

    private static void assertSameTokens(Path file) throws Exception {
        assertSameTokens(file, KvCacheType.F32);
    }

    private static void assertSameTokens(Path file, KvCacheType kvType) throws Exception {
        int[][] cpu;
        try (Backend backend = new CpuBackend(2)) {
            cpu = greedy(file, backend, kvType);
        }
        int[][] cuda;
        try (Backend backend = CudaBackend.open(0)) {
            cuda = greedy(file, backend, kvType);
        }
        for (int i = 0; i < cpu.length; i++) {
            assertThat(cuda[i]).as("sequence " + i).containsExactly(cpu[i]);
        }
    }

    private static int[][] greedy(Path file, Backend backend, KvCacheType kvType) throws Exception {
        try (LoadedModel model = LoadedModel.open(file, backend, 64, 2, c -> 256, null, null, kvType)) {
            SamplingParams p = SamplingParams.builder().temperature(0).ignoreEos(true).build();
            int[] longPrompt = new int[37];
            for (int i = 0; i < longPrompt.length; i++) {
                longPrompt[i] = 5 + 3 * i;
            }
            List<GenerationResult> results = model.generator().generate(List.of(
                    new GenerationRequest(longPrompt, p, 24), new GenerationRequest(new int[] {10, 20, 30}, p, 24)),
                    TokenListener.NONE);
            return new int[][] {results.get(0).tokens(), results.get(1).tokens()};
        }
    }
}
