package dev.switchyard.engine.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.lora.LoraAdapter;
import dev.switchyard.engine.lora.LoraMerge;
import dev.switchyard.engine.lora.LoraMix;
import dev.switchyard.engine.lora.LoraTarget;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.modelgen.RandomLoraGenerator;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A LoRA adapter applied in the forward pass computes what the model with the adapter merged into
 * its matrices computes, on every matrix an adapter may change (routed experts' stacks included) and
 * in every family's block; and in a step that mixes sequences with different adapters, each
 * sequence's rows are exactly what they are alone, also where tokens of several sequences meet in
 * one expert.
 */
class LoraStepTest {

    private static final int[] PROMPT = {5, 17, 230, 41, 9, 300, 77};

    @TempDir
    Path dir;

    private Path adapter(Path model, String name, int rank, float alpha, java.util.Set<LoraTarget> targets, GgmlType type,
                         long seed) throws Exception {
        Path out = dir.resolve(name + ".gguf");
        try (GgufFile base = GgufFile.open(model)) {
            RandomLoraGenerator.write(base, new RandomLoraGenerator.LoraSpec(rank, alpha, targets, type, seed, 0.5), out);
        }
        return out;
    }

    /** The logits of every prompt position, then of one decode token, for sequence 0 applying {@code mix}. */
    private static float[][] logits(LoadedModel model, LoraMix mix) {
        int vocab = model.config().vocabSize();
        StepBatch batch = new StepBatch(16);
        model.kv().reserve(0, PROMPT.length + 1);
        for (int i = 0; i < PROMPT.length; i++) {
            batch.add(0, PROMPT[i], i, true, false, 0, mix);
        }
        float[][] out = new float[PROMPT.length + 1][vocab];
        model.transformer().step(batch, model.kv(), out);
        batch.clear();
        batch.add(0, 11, PROMPT.length, true, true, 0, mix);
        float[][] last = new float[1][vocab];
        model.transformer().step(batch, model.kv(), last);
        out[PROMPT.length] = last[0];
        model.kv().release(0);
        return out;
    }

    private static void assertClose(float[][] actual, float[][] expected, double tolerance) {
        for (int r = 0; r < expected.length; r++) {
            double ss = 0;
            double worst = 0;
            for (int i = 0; i < expected[r].length; i++) {
                ss += (double) expected[r][i] * expected[r][i];
                worst = Math.max(worst, Math.abs(actual[r][i] - expected[r][i]));
            }
            assertThat(worst / Math.sqrt(ss / expected[r].length)).as("row %d", r).isLessThan(tolerance);
        }
    }

    private static double distance(float[][] a, float[][] b) {
        double worst = 0;
        for (int r = 0; r < a.length; r++) {
            for (int i = 0; i < a[r].length; i++) {
                worst = Math.max(worst, Math.abs(a[r][i] - b[r][i]));
            }
        }
        return worst;
    }

    @ParameterizedTest
    @EnumSource(value = GeneratedArchitecture.class, names = {"LLAMA", "MIXTRAL", "QWEN2MOE", "DEEPSEEK2", "DEEPSEEK2_LITE",
            "GPT_OSS", "QWEN3MOE", "LFM2MOE", "QWEN35MOE", "QWEN3NEXT", "GRANITE_HYBRID", "NEMOTRON_H_MOE", "KIMI_LINEAR"})
    void anAppliedAdapterComputesWhatItsMergedModelComputes(GeneratedArchitecture arch) throws Exception {
        Path model = TinyModels.of(arch, GgmlType.F32);
        Path lora = adapter(model, "all", 4, 8, EnumSet.allOf(LoraTarget.class), GgmlType.F16, 3);
        Path merged = dir.resolve("merged.gguf");
        try (GgufFile base = GgufFile.open(model); LoraAdapter a = LoraAdapter.open(lora, base)) {
            LoraMerge.write(base, List.of(new LoraMerge.Scaled(a, 0.7f)), merged);
        }
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel adapted = LoadedModel.open(model, backend, 16, 4, 64);
             LoadedModel reference = LoadedModel.open(merged, backend, 16, 4, 64)) {
            List<LoraAdapter> loaded = adapted.loadAdapters(List.of(lora));
            assertThat(loaded.getFirst().pairs()).isNotEmpty();
            float[][] base = logits(adapted, LoraMix.NONE);
            float[][] applied = logits(adapted, LoraMix.of(0.7f));
            float[][] expected = logits(reference, LoraMix.NONE);
            assertClose(applied, expected, 2e-3);
            // the adapter does change the model, far beyond that tolerance
            assertThat(distance(applied, base)).isGreaterThan(100 * distance(applied, expected));
        }
    }

    /**
     * The names Qwen3.5's delta-net projections share with other families' matrices that are not
     * adapted: Ling 2.0's fused attention projection and AFMoE's attention output gate, each refused by name.
     */
    @ParameterizedTest
    @EnumSource(value = GeneratedArchitecture.class, names = {"BAILINGMOE2", "AFMOE"})
    void matricesNamedAsDeltaNetProjectionsAreRefusedInOtherFamilies(GeneratedArchitecture arch) throws Exception {
        Path model = TinyModels.of(arch, GgmlType.F32);
        boolean ling = arch == GeneratedArchitecture.BAILINGMOE2;
        Path lora = adapter(model, "shared-name", 4, 8, EnumSet.of(ling ? LoraTarget.DELTA_QKV : LoraTarget.DELTA_GATE),
                GgmlType.F16, 5);
        try (CpuBackend backend = new CpuBackend(1); LoadedModel m = LoadedModel.open(model, backend, 16, 1, 64)) {
            assertThatThrownBy(() -> m.loadAdapters(List.of(lora)))
                    .hasMessageContaining(ling ? "blk.0.attn_qkv.weight" : "blk.0.attn_gate.weight")
                    .hasMessageContaining(ling ? "fused query-key-value projection of attention" : "attention output gate");
        }
    }

    @Test
    void eachSequenceOfAMixedStepComputesWhatItComputesAlone() throws Exception {
        Path model = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
        Path first = adapter(model, "first", 8, 16, RandomLoraGenerator.ATTENTION, GgmlType.F16, 1);
        Path second = adapter(model, "second", 4, 0, EnumSet.of(LoraTarget.ROUTER, LoraTarget.OUTPUT, LoraTarget.ATTN_V,
                LoraTarget.EXPERT_GATE, LoraTarget.EXPERT_DOWN), GgmlType.F32, 2);
        LoraMix[] mixes = {LoraMix.NONE, LoraMix.of(1f), LoraMix.of(0.5f, 1f), LoraMix.of(0f, -0.8f)};
        float[][][] alone = new float[mixes.length][][];
        try (CpuBackend backend = new CpuBackend(2); LoadedModel m = LoadedModel.open(model, backend, 32, 4, 64)) {
            m.loadAdapters(List.of(first, second));
            for (int s = 0; s < mixes.length; s++) {
                alone[s] = logits(m, mixes[s]);
            }
            // all four prompts in one step, their rows interleaved, every row asking for logits
            int vocab = m.config().vocabSize();
            StepBatch batch = new StepBatch(32);
            for (int s = 0; s < mixes.length; s++) {
                m.kv().reserve(s, PROMPT.length);
            }
            for (int i = 0; i < PROMPT.length; i++) {
                for (int s = 0; s < mixes.length; s++) {
                    batch.add(s, PROMPT[i], i, true, false, 0, mixes[s]);
                }
            }
            float[][] together = new float[PROMPT.length * mixes.length][vocab];
            m.transformer().step(batch, m.kv(), together);
            for (int s = 0; s < mixes.length; s++) {
                for (int i = 0; i < PROMPT.length; i++) {
                    assertThat(together[i * mixes.length + s]).as("sequence %d position %d", s, i).isEqualTo(alone[s][i]);
                }
            }
            assertThat(distance(alone[1], alone[0])).isGreaterThan(0);
            assertThat(distance(alone[3], alone[0])).isGreaterThan(0);
        }
    }

    @Test
    void twoAdaptersAtOnceAddTheirShares() throws Exception {
        Path model = TinyModels.of(GeneratedArchitecture.LLAMA, GgmlType.F32);
        Path first = adapter(model, "first", 4, 8, EnumSet.of(LoraTarget.ATTN_Q, LoraTarget.FFN_DOWN), GgmlType.F32, 5);
        Path second = adapter(model, "second", 8, 4, EnumSet.of(LoraTarget.FFN_DOWN, LoraTarget.OUTPUT), GgmlType.F32, 6);
        Path merged = dir.resolve("both.gguf");
        try (GgufFile base = GgufFile.open(model); LoraAdapter a = LoraAdapter.open(first, base);
             LoraAdapter b = LoraAdapter.open(second, base)) {
            LoraMerge.write(base, List.of(new LoraMerge.Scaled(a, 0.5f), new LoraMerge.Scaled(b, 1.5f)), merged);
        }
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel adapted = LoadedModel.open(model, backend, 16, 1, 32);
             LoadedModel reference = LoadedModel.open(merged, backend, 16, 1, 32)) {
            adapted.loadAdapters(List.of(first));
            adapted.loadAdapters(List.of(second)); // numbered after the first
            assertThat(adapted.transformer().adapterCount()).isEqualTo(2);
            assertClose(logits(adapted, LoraMix.of(0.5f, 1.5f)), logits(reference, LoraMix.NONE), 2e-3);
        }
    }

    @Test
    void aStepOfBaseModelRowsIsTheBaseModelsExactly() throws Exception {
        Path model = TinyModels.of(GeneratedArchitecture.QWEN3MOE, GgmlType.Q8_0);
        Path lora = adapter(model, "any", 8, 16, EnumSet.allOf(LoraTarget.class), GgmlType.F16, 9);
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel plain = LoadedModel.open(model, backend, 16, 1, 32);
             LoadedModel withAdapter = LoadedModel.open(model, backend, 16, 1, 32)) {
            withAdapter.loadAdapters(List.of(lora));
            float[][] expected = logits(plain, LoraMix.NONE);
            assertThat(logits(withAdapter, LoraMix.NONE)).isDeepEqualTo(expected);
            assertThat(logits(withAdapter, LoraMix.of(0f))).isDeepEqualTo(expected);
        }
    }

    @Test
    void anAdapterOnAMatrixTheModelLacksIsRefused() throws Exception {
        // a model whose blocks all route has no dense FFN: an adapter written for one cannot load
        Path dense = TinyModels.of(GeneratedArchitecture.LLAMA, GgmlType.F32);
        Path lora = adapter(dense, "dense", 4, 8, EnumSet.of(LoraTarget.FFN_UP), GgmlType.F32, 1);
        Path moe = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.F32);
        try (CpuBackend backend = new CpuBackend(1); LoadedModel m = LoadedModel.open(moe, backend, 8, 1, 16)) {
            assertThatThrownBy(() -> m.loadAdapters(List.of(lora)))
                    .hasMessageContaining("dense.gguf")
                    .hasMessageContaining("blk.0.ffn_up.weight");
            assertThat(m.transformer().adapterCount()).isZero();
        }
    }
}
