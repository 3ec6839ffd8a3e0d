package dev.switchyard.engine.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.lora.LoraMix;
import dev.switchyard.engine.lora.LoraTarget;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.modelgen.RandomLoraGenerator;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.cuda.CudaBackend;
import dev.switchyard.kernels.cuda.CudaProbe;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On the CUDA backend, a step mixing sequences with different LoRA adapters (f16 and f32 tensors,
 * every target, the output head included) gives the CPU backend's logits within the backends'
 * rounding. Runs only where a GPU is present.
 */
class CudaLoraMatchesCpuTest {

    private static final int[] PROMPT = {5, 17, 230, 41, 9, 300, 77};
    private static final LoraMix[] MIXES = {LoraMix.NONE, LoraMix.of(1f), LoraMix.of(0.5f, 1f), LoraMix.of(0f, -0.8f)};

    @TempDir
    Path dir;

    @BeforeEach
    void needsGpu() {
        CudaProbe.Result probe = CudaProbe.probe();
        assumeTrue(probe.available(), () -> "needs a GPU: " + probe.describe());
    }

    private float[][] logits(Supplier<Backend> backends, Path model, List<Path> adapters) throws Exception {
        try (Backend backend = backends.get();
             LoadedModel m = LoadedModel.open(model, backend, 32, 4, c -> 64, null, null, KvCacheType.F32)) {
            m.loadAdapters(adapters);
            StepBatch batch = new StepBatch(32);
            for (int s = 0; s < MIXES.length; s++) {
                m.kv().reserve(s, PROMPT.length);
            }
            for (int i = 0; i < PROMPT.length; i++) {
                for (int s = 0; s < MIXES.length; s++) {
                    batch.add(s, PROMPT[i], i, true, false, 0, MIXES[s]);
                }
            }
            float[][] out = new float[PROMPT.length * MIXES.length][m.config().vocabSize()];
            m.transformer().step(batch, m.kv(), out);
            return out;
        }
    }

    @Test
    void mixedAdaptersOnTheDeviceGiveTheHostsLogits() throws Exception {
        Path model = TinyModels.of(GeneratedArchitecture.QWEN3MOE, GgmlType.Q8_0);
        Path first = dir.resolve("first.gguf");
        Path second = dir.resolve("second.gguf");
        try (GgufFile base = GgufFile.open(model)) {
            RandomLoraGenerator.write(base, new RandomLoraGenerator.LoraSpec(16, 32, EnumSet.allOf(LoraTarget.class),
                    GgmlType.F16, 1, 0.5), first);
            RandomLoraGenerator.write(base, new RandomLoraGenerator.LoraSpec(8, 0, RandomLoraGenerator.ATTENTION,
                    GgmlType.F32, 2, 0.5), second);
        }
        float[][] cpu = logits(() -> new CpuBackend(2), model, List.of(first, second));
        float[][] cuda = logits(() -> CudaBackend.open(0), model, List.of(first, second));
        for (int r = 0; r < cpu.length; r++) {
            double ss = 0;
            double worst = 0;
            for (int i = 0; i < cpu[r].length; i++) {
                ss += (double) cpu[r][i] * cpu[r][i];
                worst = Math.max(worst, Math.abs(cuda[r][i] - cpu[r][i]));
            }
            assertThat(worst / Math.sqrt(ss / cpu[r].length)).as("row %d", r).isLessThan(2e-2);
        }
    }
}
