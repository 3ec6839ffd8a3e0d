package dev.switchyard.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.engine.gguf.GgufArray;
import dev.switchyard.engine.gguf.GgufMetadata;
import dev.switchyard.engine.gguf.GgufValue;
import dev.switchyard.engine.gguf.GgufValueType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Nemotron-H's files as llama.cpp's converter writes them: each block one part only, told apart by
 * its entries of {@code attention.head_count_kv} and {@code feed_forward_length}; Mamba2's shape;
 * attention without rotary positions; the MoE's sigmoid routing, selection bias, scale and shared
 * expert, all without gates; each refusal by its key; and the writer's keys reading back equal.
 */
class NemotronHConfigReaderTest {

    /** Nemotron 3 Nano 30B-A3B's block pattern: M a Mamba2 block, E routed experts, * attention. */
    private static final String PATTERN = "MEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEMEM*EMEMEMEME";

    /** Keys shaped like Nemotron 3 Nano 30B-A3B's. */
    private static Map<String, GgufValue> nano() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        String p = "nemotron_h_moe.";
        m.put("general.architecture", GgufValue.ofString("nemotron_h_moe"));
        m.put(p + "context_length", GgufValue.ofUint32(1 << 20));
        m.put(p + "embedding_length", GgufValue.ofUint32(2688));
        m.put(p + "block_count", GgufValue.ofUint32(PATTERN.length()));
        m.put(p + "attention.head_count", GgufValue.ofUint32(32));
        long[] kv = new long[PATTERN.length()];
        long[] ffn = new long[PATTERN.length()];
        for (int b = 0; b < kv.length; b++) {
            kv[b] = PATTERN.charAt(b) == '*' ? 2 : 0;
            ffn[b] = PATTERN.charAt(b) == 'E' ? 1856 : 0;
        }
        m.put(p + "attention.head_count_kv", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, kv)));
        m.put(p + "feed_forward_length", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, ffn)));
        m.put(p + "attention.key_length", GgufValue.ofUint32(128));
        m.put(p + "attention.value_length", GgufValue.ofUint32(128));
        m.put(p + "attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-5f));
        m.put(p + "ssm.conv_kernel", GgufValue.ofUint32(4));
        m.put(p + "ssm.state_size", GgufValue.ofUint32(128));
        m.put(p + "ssm.group_count", GgufValue.ofUint32(8));
        m.put(p + "ssm.time_step_rank", GgufValue.ofUint32(64));
        m.put(p + "ssm.inner_size", GgufValue.ofUint32(4096));
        m.put(p + "expert_count", GgufValue.ofUint32(128));
        m.put(p + "expert_used_count", GgufValue.ofUint32(6));
        m.put(p + "expert_feed_forward_length", GgufValue.ofUint32(1856));
        m.put(p + "expert_shared_feed_forward_length", GgufValue.ofUint32(3712));
        m.put(p + "expert_shared_count", GgufValue.ofUint32(1));
        m.put(p + "expert_weights_norm", GgufValue.ofBool(true));
        m.put(p + "expert_weights_scale", GgufValue.ofFloat32(2.5f));
        m.put(p + "expert_group_count", GgufValue.ofUint32(1));
        m.put(p + "vocab_size", GgufValue.ofUint32(131072));
        return m;
    }

    private static Map<String, GgufValue> with(Consumer<Map<String, GgufValue>> change) {
        Map<String, GgufValue> m = nano();
        change.accept(m);
        return m;
    }

    private static ModelConfig read(Map<String, GgufValue> m) {
        return ModelConfigReader.read(new GgufMetadata(m));
    }

    @Test
    void nanoRunsOnePartPerBlock() {
        ModelConfig c = read(nano());
        assertThat(c.architecture()).isEqualTo(Architecture.NEMOTRON_H_MOE);
        assertThat(c.convolution().count()).as("Mamba2 blocks").isEqualTo(23);
        assertThat(c.convolution().feedForwardOnly()).as("FFN blocks").hasSize(23);
        assertThat(c.attentionBlocks()).isEqualTo(6);
        assertThat(c.fullKvBlocks()).isEqualTo(6);
        assertThat(c.isConvolutionBlock(0)).isTrue();
        assertThat(c.feedsForward(0)).isFalse();
        assertThat(c.attends(1)).isFalse();
        assertThat(c.feedsForward(1)).isTrue();
        assertThat(c.attends(5)).isTrue();
        assertThat(c.feedsForward(5)).isFalse();
        assertThat(c.routedLayers()).isEqualTo(23);
        assertThat(c.isRoutedBlock(1)).isTrue();
        assertThat(c.isRoutedBlock(0)).isFalse();
        assertThat(c.routedLayerOf(3)).isEqualTo(1);
        assertThat(c.blockOfRoutedLayer(1)).isEqualTo(3);
        assertThat(c.convolution().mamba2()).isEqualTo(new Mamba2(64, 64, 128, 8));
        assertThat(c.pattern().rotates(5)).as("no rotary positions").isFalse();
        assertThat(c.headDimK()).isEqualTo(128);
        assertThat(c.kvHeadCount()).isEqualTo(2);
        assertThat(c.routing()).isEqualTo(new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 2.5f));
        assertThat(c.normalizeTopK()).isTrue();
        assertThat(c.sharedExpertFeedForwardLength()).isEqualTo(3712);
        assertThat(c.scales()).isEqualTo(ScaleFactors.NONE);
        assertThat(TensorLayout.expectedTensors(c))
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.1.ffn_up_exps.weight");
                    assertThat(t.dims()).containsExactly(2688, 1856, 128);
                })
                .anySatisfy(t -> assertThat(t.name()).isEqualTo("blk.1.exp_probs_b.bias"))
                .anySatisfy(t -> assertThat(t.name()).isEqualTo("blk.1.ffn_up_shexp.weight"))
                .anySatisfy(t -> assertThat(t.name()).isEqualTo("blk.0.ssm_in.weight"))
                .anySatisfy(t -> assertThat(t.name()).isEqualTo("blk.5.attn_q.weight"))
                .noneSatisfy(t -> assertThat(t.name()).isEqualTo("blk.1.ffn_gate_exps.weight"))
                .noneSatisfy(t -> assertThat(t.name()).isEqualTo("blk.1.ffn_gate_shexp.weight"))
                .noneSatisfy(t -> assertThat(t.name()).isEqualTo("blk.1.ffn_norm.weight"))
                .noneSatisfy(t -> assertThat(t.name()).isEqualTo("blk.0.ffn_up_exps.weight"))
                .noneSatisfy(t -> assertThat(t.name()).isEqualTo("blk.5.ffn_up_exps.weight"))
                .noneSatisfy(t -> assertThat(t.name()).isEqualTo("blk.1.attn_q.weight"));
        assertThat(TensorLayout.expectedTensors(c).stream().filter(t -> t.name().equals("blk.1.attn_norm.weight")))
                .as("an FFN block's one norm").hasSize(1);
    }

    @Test
    void theDenseModelsFfnBlocksRunSquaredReluWithoutAGate() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        nano().forEach((k, v) -> {
            if (!k.contains("expert")) {
                m.put(k.replace("nemotron_h_moe.", "nemotron_h."), v);
            }
        });
        m.put("general.architecture", GgufValue.ofString("nemotron_h"));
        ModelConfig c = read(m);
        assertThat(c.isMoe()).isFalse();
        assertThat(c.feedForwardLength()).isEqualTo(1856);
        assertThat(TensorLayout.expectedTensors(c))
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.1.ffn_up.weight");
                    assertThat(t.dims()).containsExactly(2688, 1856);
                })
                .noneSatisfy(t -> assertThat(t.name()).isEqualTo("blk.1.ffn_gate.weight"))
                .noneSatisfy(t -> assertThat(t.name()).isEqualTo("blk.0.ffn_up.weight"));
    }

    @Test
    void filesTheEngineCannotRunAreRefusedNamingTheKey() {
        for (String key : new String[] {"ssm.conv_kernel", "ssm.state_size", "ssm.group_count", "ssm.time_step_rank",
            "ssm.inner_size", "expert_weights_scale", "expert_feed_forward_length", "feed_forward_length"}) {
            assertThatThrownBy(() -> read(with(m -> m.remove("nemotron_h_moe." + key)))).as(key).hasMessageContaining(key);
        }
        long[] uneven = new long[PATTERN.length()];
        uneven[1] = 1856;
        uneven[3] = 1024;
        assertThatThrownBy(() -> read(with(m -> m.put("nemotron_h_moe.feed_forward_length",
                GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, uneven))))))
                .hasMessageContaining("one FFN width for every FFN block");
        assertThatThrownBy(() -> read(with(m -> m.put("nemotron_h_moe.feed_forward_length",
                GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, new long[PATTERN.length()]))))))
                .hasMessageContaining("no block of nemotron_h_moe runs an FFN");
        assertThatThrownBy(() -> read(with(m -> m.put("nemotron_h_moe.feed_forward_length",
                GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, 1856, 1856))))))
                .hasMessageContaining("2 entries for block_count 52");
        assertThatThrownBy(() -> read(with(m -> m.put("nemotron_h_moe.expert_weights_scale", GgufValue.ofFloat32(0f)))))
                .hasMessageContaining("expert_weights_scale' must be positive");
    }

    @Test
    void superSizedExpertsWorkInTheirLatentWidth() {
        ModelConfig c = read(with(m -> m.put("nemotron_h_moe.moe_latent_size", GgufValue.ofUint32(1024))));
        assertThat(c.expertLatentWidth()).isEqualTo(1024);
        assertThat(c.expertWidth()).isEqualTo(1024);
        assertThat(TensorLayout.expectedTensors(c))
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.1.ffn_latent_down.weight");
                    assertThat(t.dims()).containsExactly(2688, 1024);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.1.ffn_latent_up.weight");
                    assertThat(t.dims()).containsExactly(1024, 2688);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.1.ffn_up_exps.weight");
                    assertThat(t.dims()).containsExactly(1024, 1856, 128);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.1.ffn_down_exps.weight");
                    assertThat(t.dims()).containsExactly(1856, 1024, 128);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).as("the shared expert reads the model's width").isEqualTo("blk.1.ffn_up_shexp.weight");
                    assertThat(t.dims()).containsExactly(2688, 3712);
                });
        assertThat(read(ModelConfigWriter.metadata(c))).isEqualTo(c);
    }

    @Test
    void aPredictionBlockAfterTheModelsOwnIsNotRun() {
        ModelConfig c = read(with(m -> {
            m.put("nemotron_h_moe.block_count", GgufValue.ofUint32(PATTERN.length() + 1));
            m.put("nemotron_h_moe.nextn_predict_layers", GgufValue.ofUint32(1));
        }));
        assertThat(c.layers()).isEqualTo(PATTERN.length());
    }

    @Test
    void theWritersKeysReadBackEqual() {
        ModelConfig c = read(nano());
        assertThat(read(ModelConfigWriter.metadata(c))).isEqualTo(c);
    }
}
