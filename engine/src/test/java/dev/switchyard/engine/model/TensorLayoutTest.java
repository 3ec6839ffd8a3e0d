package dev.switchyard.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.gguf.GgufCopy;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufWriter;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorLayoutTest {

    private static ModelConfig config(Architecture arch, int experts) {
        int sharedFfn = arch.hasSharedExpert() && experts > 0 ? 384 : 0;
        int leadingDense = arch.hasLeadingDenseLayers() && experts > 0 ? 1 : 0;
        return new ModelConfig(arch, "m", 1024, 256, 2, 8, 2, 32, 32, 512, experts, experts > 0 ? 2 : 0,
                experts > 0 ? 128 : 0, sharedFfn, leadingDense, arch.normalizeTopKByDefault(), 1e-5, 1e4, 32,
                RopeScaling.NONE, 300);
    }

    private static Map<String, TensorSpec> byName(ModelConfig c) {
        return TensorLayout.expectedTensors(c).stream().collect(Collectors.toMap(TensorSpec::name, t -> t));
    }

    @Test
    void mixtralLayerHasStackedExpertsInLlamaCppShapes() {
        Map<String, TensorSpec> t = byName(config(Architecture.LLAMA, 8));
        assertThat(t.get("token_embd.weight").dims()).containsExactly(256, 300);
        assertThat(t.get("blk.1.attn_q.weight").dims()).containsExactly(256, 256);
        assertThat(t.get("blk.1.attn_k.weight").dims()).containsExactly(256, 64);
        assertThat(t.get("blk.1.ffn_gate_inp.weight").dims()).containsExactly(256, 8);
        assertThat(t.get("blk.1.ffn_gate_exps.weight").dims()).containsExactly(256, 128, 8);
        assertThat(t.get("blk.1.ffn_up_exps.weight").dims()).containsExactly(256, 128, 8);
        assertThat(t.get("blk.1.ffn_down_exps.weight").dims()).containsExactly(128, 256, 8);
        assertThat(t.get("output.weight").optional()).isTrue();
        assertThat(t).doesNotContainKeys("blk.0.ffn_gate.weight", "blk.0.attn_q.bias", "blk.0.attn_q_norm.weight");
    }

    @Test
    void denseLlamaHasPlainFfn() {
        Map<String, TensorSpec> t = byName(config(Architecture.LLAMA, 0));
        assertThat(t.get("blk.0.ffn_down.weight").dims()).containsExactly(512, 256);
        assertThat(t).doesNotContainKey("blk.0.ffn_gate_inp.weight");
    }

    @Test
    void qwen2MoeHasBiasesAndSigmoidGatedSharedExpert() {
        Map<String, TensorSpec> t = byName(config(Architecture.QWEN2MOE, 8));
        assertThat(t.get("blk.0.attn_q.bias").dims()).containsExactly(256);
        assertThat(t.get("blk.0.attn_v.bias").dims()).containsExactly(64);
        assertThat(t.get("blk.0.ffn_gate_inp_shexp.weight").dims()).containsExactly(256);
        assertThat(t.get("blk.0.ffn_gate_shexp.weight").dims()).containsExactly(256, 384);
        assertThat(t.get("blk.0.ffn_down_shexp.weight").dims()).containsExactly(384, 256);
        assertThat(t.get("blk.0.ffn_gate_inp_shexp.weight").role()).isEqualTo(TensorRole.ROUTER);
    }

    @Test
    void deepseekStartsWithDenseBlocksThenExpertsBesideUngatedSharedOnes() {
        Map<String, TensorSpec> t = byName(config(Architecture.DEEPSEEK, 8));
        assertThat(t.get("blk.0.ffn_gate.weight").dims()).containsExactly(256, 512);
        assertThat(t.get("blk.0.ffn_down.weight").dims()).containsExactly(512, 256);
        assertThat(t).doesNotContainKeys("blk.0.ffn_gate_inp.weight", "blk.0.ffn_gate_exps.weight",
                "blk.0.ffn_gate_shexp.weight", "blk.1.ffn_gate.weight");
        assertThat(t.get("blk.1.ffn_gate_inp.weight").dims()).containsExactly(256, 8);
        assertThat(t.get("blk.1.ffn_up_exps.weight").dims()).containsExactly(256, 128, 8);
        assertThat(t.get("blk.1.ffn_gate_shexp.weight").dims()).containsExactly(256, 384);
        assertThat(t.get("blk.1.ffn_down_shexp.weight").dims()).containsExactly(384, 256);
        assertThat(t).doesNotContainKey("blk.1.ffn_gate_inp_shexp.weight");
    }

    @Test
    void deepseekV2HasLatentAttentionWithPerHeadDecompressionsStackedAsExperts() {
        // 8 heads, rotary 16, non-rotary 32, values 32, latent 64: the cache sees one head of 80 and 64
        ModelConfig lite = new ModelConfig(Architecture.DEEPSEEK2, "m", 1024, 256, 2, 8, 1, 80, 64, 512, 8, 2, 128, 256, 1,
                false, 1e-6, 1e4, 16, RopeScaling.NONE, 300, new LatentAttention(0, 64, 48, 32, 0), ExpertRouting.SOFTMAX);
        Map<String, TensorSpec> t = byName(lite);
        assertThat(t.get("blk.0.attn_q.weight").dims()).containsExactly(256, 8 * 48);
        assertThat(t.get("blk.0.attn_kv_a_mqa.weight").dims()).containsExactly(256, 64 + 16);
        assertThat(t.get("blk.0.attn_kv_a_norm.weight").dims()).containsExactly(64);
        assertThat(t.get("blk.0.attn_k_b.weight").dims()).containsExactly(32, 64, 8);
        assertThat(t.get("blk.0.attn_v_b.weight").dims()).containsExactly(64, 32, 8);
        assertThat(t.get("blk.0.attn_output.weight").dims()).containsExactly(8 * 32, 256);
        assertThat(t).doesNotContainKeys("blk.0.attn_k.weight", "blk.0.attn_v.weight", "blk.0.attn_q_a.weight",
                "blk.0.attn_kv_b.weight");
        assertThat(t.get("blk.1.ffn_gate_exps.weight").dims()).containsExactly(256, 128, 8);

        // the older layout: one joined decompression, each head's 32 key rows then its 32 value rows
        ModelConfig joined = new ModelConfig(Architecture.DEEPSEEK2, "m", 1024, 256, 2, 8, 1, 80, 64, 512, 8, 2, 128,
                256, 1, false, 1e-6, 1e4, 16, RopeScaling.NONE, 300, new LatentAttention(0, 64, 48, 32, 0, true),
                ExpertRouting.SOFTMAX);
        Map<String, TensorSpec> j = byName(joined);
        assertThat(j.get("blk.0.attn_kv_b.weight").dims()).containsExactly(64, 8 * (32 + 32));
        assertThat(j).doesNotContainKeys("blk.0.attn_k_b.weight", "blk.0.attn_v_b.weight");

        ModelConfig full = new ModelConfig(Architecture.DEEPSEEK2, "m", 1024, 256, 2, 8, 1, 80, 64, 512, 8, 2, 128, 256, 1,
                false, 1e-6, 1e4, 16, RopeScaling.NONE, 300, new LatentAttention(96, 64, 48, 32, 0),
                new ExpertRouting(ExpertRouting.Gating.SIGMOID, 4, 2, 2.5));
        Map<String, TensorSpec> q = byName(full);
        assertThat(q.get("blk.0.attn_q_a.weight").dims()).containsExactly(256, 96);
        assertThat(q.get("blk.0.attn_q_a_norm.weight").role()).isEqualTo(TensorRole.NORM);
        assertThat(q.get("blk.0.attn_q_b.weight").dims()).containsExactly(96, 8 * 48);
        assertThat(q).doesNotContainKey("blk.0.attn_q.weight");
        // sigmoid routing may carry a selection bias; files without one load too
        assertThat(q.get("blk.1.exp_probs_b.bias").dims()).containsExactly(8);
        assertThat(q.get("blk.1.exp_probs_b.bias").optional()).isTrue();
        assertThat(t).doesNotContainKey("blk.1.exp_probs_b.bias");
    }

    @Test
    void glm45NamesItsFfnNormAsLlamaCppDoesAndMayLeaveOutBiasesAndQkNorm() {
        ModelConfig c = new ModelConfig(Architecture.GLM4MOE, "m", 1024, 256, 2, 8, 2, 32, 32, 512, 8, 2, 128, 128, 1,
                true, 1e-5, 1e6, 16, RopeScaling.NONE, 300, null, new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 2.5));
        Map<String, TensorSpec> t = byName(c);
        assertThat(t).containsKeys("blk.0.post_attention_norm.weight", "blk.1.post_attention_norm.weight")
                .doesNotContainKey("blk.0.ffn_norm.weight");
        assertThat(t.get("blk.0.attn_q.bias").optional()).isTrue();
        assertThat(t.get("blk.0.attn_k_norm.weight").optional()).isTrue();
        assertThat(t.get("blk.1.exp_probs_b.bias").optional()).as("GLM-4.5 always has the selection bias").isFalse();
        assertThat(t.get("blk.1.ffn_up_shexp.weight").dims()).containsExactly(256, 128);
        assertThat(t).doesNotContainKey("blk.1.ffn_gate_inp_shexp.weight");
    }

    @Test
    void gptOssHasItsBiasesSinksAndPostAttentionNormInLlamaCppShapes() {
        ModelConfig c = new ModelConfig(Architecture.GPT_OSS, "m", 1024, 256, 2, 8, 2, 64, 64, 512, 8, 2, 128, 0, 0,
                true, 1e-5, 1.5e5, 64, new RopeScaling(RopeScaling.Type.YARN, 32, 4096), 300, null,
                ExpertRouting.SOFTMAX, 16);
        Map<String, TensorSpec> t = byName(c);
        assertThat(t.get("blk.0.attn_q.weight").dims()).as("heads wider than the model").containsExactly(256, 512);
        assertThat(t.get("blk.0.attn_q.bias").dims()).containsExactly(512);
        assertThat(t.get("blk.0.attn_v.bias").dims()).containsExactly(128);
        assertThat(t.get("blk.0.attn_output.weight").dims()).containsExactly(512, 256);
        assertThat(t.get("blk.0.attn_output.bias").dims()).containsExactly(256);
        assertThat(t.get("blk.0.attn_sinks.weight").dims()).as("one per query head").containsExactly(8);
        assertThat(t.get("blk.1.ffn_gate_inp.bias").dims()).containsExactly(8);
        assertThat(t.get("blk.1.ffn_gate_exps.bias").dims()).containsExactly(128, 8);
        assertThat(t.get("blk.1.ffn_up_exps.bias").dims()).containsExactly(128, 8);
        assertThat(t.get("blk.1.ffn_down_exps.bias").dims()).containsExactly(256, 8);
        assertThat(t).containsKey("blk.1.post_attention_norm.weight").doesNotContainKey("blk.1.ffn_norm.weight");
        assertThat(t.values()).filteredOn(s -> s.name().endsWith(".bias") || s.name().contains("sinks"))
                .allSatisfy(s -> assertThat(s.role().isAlwaysF32()).as(s.name()).isTrue())
                .allSatisfy(s -> assertThat(s.optional()).as(s.name()).isFalse());
    }

    @Test
    void qwen3NormsQueriesAndKeysPerHeadAndOlmoeOverTheWholeProjection() {
        assertThat(byName(config(Architecture.QWEN3MOE, 8)).get("blk.0.attn_k_norm.weight").dims()).containsExactly(32);
        Map<String, TensorSpec> olmoe = byName(config(Architecture.OLMOE, 8));
        assertThat(olmoe.get("blk.0.attn_q_norm.weight").dims()).containsExactly(256);
        assertThat(olmoe.get("blk.0.attn_k_norm.weight").dims()).containsExactly(64);
    }

    @Test
    void everyLayerIsListedOnceInOrder() {
        List<TensorSpec> all = TensorLayout.expectedTensors(config(Architecture.QWEN3MOE, 8));
        assertThat(all).extracting(TensorSpec::name).doesNotHaveDuplicates();
        assertThat(all.getFirst().name()).isEqualTo("token_embd.weight");
        assertThat(all.get(all.size() - 2).name()).isEqualTo("output.weight");
        assertThat(all.getLast().name()).as("Llama 3.1's, where a file has them").isEqualTo("rope_freqs.weight");
        assertThat(all.getLast().optional()).isTrue();
        assertThat(all.getLast().dims()).containsExactly(16);
        assertThat(all).filteredOn(t -> t.name().endsWith("attn_norm.weight")).hasSize(2);
    }

    @Test
    void normsBiasesAndRoutersStayF32() {
        for (TensorSpec t : TensorLayout.expectedTensors(config(Architecture.QWEN2MOE, 8))) {
            boolean vectorOrRouter = t.name().contains("norm") || t.name().endsWith(".bias") || t.name().contains("gate_inp")
                    || t.name().equals("rope_freqs.weight");
            assertThat(t.role().isAlwaysF32()).as(t.name()).isEqualTo(vectorOrRouter);
        }
    }

    @TempDir
    Path dir;

    /** A file whose experts' gate and up projections are fused is refused, naming the fused tensor. */
    @Test
    void fusedGateAndUpExpertsAreRefusedByName() throws Exception {
        Path source = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.F32);
        Path fused = dir.resolve("fused.gguf");
        try (var in = GgufFile.open(source)) {
            GgufWriter w = GgufCopy.of(in, key -> true, t -> !t.name().endsWith("_exps.weight")
                    || t.name().endsWith("ffn_down_exps.weight"));
            for (var t : in.tensors()) {
                if (t.name().endsWith("ffn_gate_exps.weight")) {
                    long[] dims = {t.dims()[0], 2 * t.dims()[1], t.dims()[2]};
                    w.addTensor(t.name().replace("ffn_gate_exps", "ffn_gate_up_exps"), t.type(), dims, target -> { });
                }
            }
            w.write(fused);
        }
        try (var f = GgufFile.open(fused)) {
            ModelConfig c = ModelConfigReader.read(f.metadata());
            assertThatThrownBy(() -> TensorLayout.validate(c, f))
                    .isInstanceOf(ModelConfigException.class)
                    .hasMessageContaining("'blk.0.ffn_gate_up_exps.weight'")
                    .hasMessageContaining("fused");
        }
    }

    /** Nemotron 3 Super's latent experts (a projection to a smaller space around them) are refused by name. */
    @Test
    void latentExpertsAreRefusedByName() throws Exception {
        Path source = TinyModels.of(GeneratedArchitecture.NEMOTRON_H_MOE, GgmlType.F32);
        Path latent = dir.resolve("latent.gguf");
        try (var in = GgufFile.open(source)) {
            GgufWriter w = GgufCopy.of(in, key -> true, t -> true);
            ModelConfig c = ModelConfigReader.read(in.metadata());
            w.addTensor("blk.1.ffn_latent_down.weight", GgmlType.F32, new long[] {c.dim(), 16}, target -> { });
            w.write(latent);
        }
        try (var f = GgufFile.open(latent)) {
            ModelConfig c = ModelConfigReader.read(f.metadata());
            assertThatThrownBy(() -> TensorLayout.validate(c, f))
                    .isInstanceOf(ModelConfigException.class)
                    .hasMessageContaining("'blk.1.ffn_latent_down.weight'")
                    .hasMessageContaining("latent experts");
        }
    }
}
