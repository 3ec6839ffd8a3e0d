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
 * Qwen3.5's, Qwen3.6's and Qwen3-Next's files as llama.cpp's converter writes them: which blocks run
 * the delta rule, its shape, the attention blocks' gated queries and partial rotation, routing, the
 * prediction block left out; each refusal by its key; and the writer's keys reading back equal.
 */
class DeltaNetConfigReaderTest {

    /** Qwen3.6-35B-A3B's keys: 40 blocks and its prediction block, three delta-net blocks to one attending. */
    private static Map<String, GgufValue> qwen36_35bA3b() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("qwen35moe"));
        m.put("qwen35moe.context_length", GgufValue.ofUint32(262144));
        m.put("qwen35moe.embedding_length", GgufValue.ofUint32(2048));
        m.put("qwen35moe.block_count", GgufValue.ofUint32(41));
        m.put("qwen35moe.nextn_predict_layers", GgufValue.ofUint32(1));
        m.put("qwen35moe.attention.head_count", GgufValue.ofUint32(16));
        m.put("qwen35moe.attention.head_count_kv", GgufValue.ofUint32(2));
        m.put("qwen35moe.attention.key_length", GgufValue.ofUint32(256));
        m.put("qwen35moe.attention.value_length", GgufValue.ofUint32(256));
        m.put("qwen35moe.rope.dimension_count", GgufValue.ofUint32(64));
        m.put("qwen35moe.rope.dimension_sections", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, 11, 11, 10, 0)));
        m.put("qwen35moe.rope.freq_base", GgufValue.ofFloat32(10_000_000f));
        m.put("qwen35moe.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-6f));
        m.put("qwen35moe.expert_count", GgufValue.ofUint32(256));
        m.put("qwen35moe.expert_used_count", GgufValue.ofUint32(8));
        m.put("qwen35moe.expert_feed_forward_length", GgufValue.ofUint32(512));
        m.put("qwen35moe.expert_shared_feed_forward_length", GgufValue.ofUint32(512));
        m.put("qwen35moe.full_attention_interval", GgufValue.ofUint32(4));
        m.put("qwen35moe.ssm.conv_kernel", GgufValue.ofUint32(4));
        m.put("qwen35moe.ssm.state_size", GgufValue.ofUint32(128));
        m.put("qwen35moe.ssm.group_count", GgufValue.ofUint32(16));
        m.put("qwen35moe.ssm.time_step_rank", GgufValue.ofUint32(32));
        m.put("qwen35moe.ssm.inner_size", GgufValue.ofUint32(4096));
        m.put("qwen35moe.vocab_size", GgufValue.ofUint32(248320));
        return m;
    }

    private static Map<String, GgufValue> with(Consumer<Map<String, GgufValue>> change) {
        Map<String, GgufValue> m = qwen36_35bA3b();
        change.accept(m);
        return m;
    }

    @Test
    void qwen36RunsTheDeltaRuleInThreeBlocksOfFourWithItsShape() {
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(qwen36_35bA3b()));
        assertThat(c.architecture()).isEqualTo(Architecture.QWEN35MOE);
        assertThat(c.layers()).as("the prediction block is not run").isEqualTo(40);
        assertThat(c.convolution().count()).isEqualTo(30);
        assertThat(c.isConvolutionBlock(0)).isTrue();
        assertThat(c.isConvolutionBlock(3)).isFalse();
        assertThat(c.isConvolutionBlock(39)).isFalse();
        assertThat(c.convolution().length()).isEqualTo(4);
        assertThat(c.convolution().deltaNet()).isEqualTo(new DeltaNet(16, 32, 128, true));
        assertThat(c.convolution().width(c.dim())).isEqualTo(8192);
        assertThat(c.carriesRecurrentState()).isTrue();
        assertThat(c.fullKvBlocks()).isEqualTo(10);
        assertThat(c.windowPoolReach()).isEqualTo(4);
        assertThat(c.headDimK()).isEqualTo(256);
        assertThat(c.ropeDimensions()).isEqualTo(64);
        assertThat(c.ropeSections()).isEqualTo(RopeSections.interleaved(11, 11, 10, 0));
        assertThat(c.expertFeedForwardLength()).isEqualTo(512);
        assertThat(c.sharedExpertFeedForwardLength()).isEqualTo(512);
        assertThat(c.routing()).isEqualTo(ExpertRouting.SOFTMAX);
        assertThat(c.normalizeTopK()).isTrue();
        assertThat(TensorLayout.expectedTensors(c))
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.0.attn_qkv.weight");
                    assertThat(t.dims()).containsExactly(2048, 8192);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.0.ssm_conv1d.weight");
                    assertThat(t.dims()).containsExactly(4, 8192);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.0.ssm_a");
                    assertThat(t.role()).isEqualTo(TensorRole.DECAY);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.0.ssm_out.weight");
                    assertThat(t.dims()).containsExactly(4096, 2048);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.3.attn_q.weight");
                    assertThat(t.dims()).as("queries and their gate").containsExactly(2048, 8192);
                })
                .anySatisfy(t -> assertThat(t.name()).isEqualTo("blk.0.post_attention_norm.weight"))
                .anySatisfy(t -> assertThat(t.name()).isEqualTo("blk.0.ffn_gate_inp_shexp.weight"))
                .noneSatisfy(t -> assertThat(t.name()).isEqualTo("blk.0.attn_q.weight"))
                .noneSatisfy(t -> assertThat(t.name()).isEqualTo("blk.40.attn_norm.weight"));
    }

    @Test
    void routingIsSoftmaxRenormalizedWhateverTheFileSays() {
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(with(m -> {
            m.put("qwen35moe.expert_weights_norm", GgufValue.ofBool(false));
            m.put("qwen35moe.expert_gating_func", GgufValue.ofUint32(2));
        })));
        assertThat(c.normalizeTopK()).isTrue();
        assertThat(c.routing()).isEqualTo(ExpertRouting.SOFTMAX);
    }

    @Test
    void recurrentLayerFlagsOverrideTheInterval() {
        boolean[] flags = new boolean[40];
        flags[0] = true;
        flags[5] = true;
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(with(m -> m.put("qwen35moe.attention.recurrent_layers",
                GgufValue.ofArray(new GgufArray(GgufValueType.BOOL, flags))))));
        assertThat(c.convolution().blocks()).containsExactly(0, 5);
        assertThat(c.fullKvBlocks()).isEqualTo(38);
    }

    @Test
    void qwen3NextKeepsItsValueHeadsGroupedAndReadsBetaAndAlphaFromOneMatrix() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        qwen36_35bA3b().forEach((k, v) -> {
            if (!k.contains("nextn") && !k.contains("dimension_sections")) {
                m.put(k.replace("qwen35moe.", "qwen3next."), v);
            }
        });
        m.put("general.architecture", GgufValue.ofString("qwen3next"));
        m.put("qwen3next.block_count", GgufValue.ofUint32(48));
        m.put("qwen3next.expert_count", GgufValue.ofUint32(512));
        m.put("qwen3next.expert_used_count", GgufValue.ofUint32(10));
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(m));
        assertThat(c.architecture()).isEqualTo(Architecture.QWEN3NEXT);
        assertThat(c.layers()).isEqualTo(48);
        assertThat(c.convolution().deltaNet().tiledHeads()).isFalse();
        assertThat(c.ropeSections().present()).isFalse();
        assertThat(TensorLayout.expectedTensors(c))
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.0.ssm_ba.weight");
                    assertThat(t.dims()).containsExactly(2048, 64);
                })
                .noneSatisfy(t -> assertThat(t.name()).isEqualTo("blk.0.ssm_beta.weight"));
    }

    @Test
    void filesTheEngineCannotRunAreRefusedNamingTheKey() {
        for (String key : new String[] {"ssm.conv_kernel", "ssm.state_size", "ssm.group_count", "ssm.time_step_rank",
            "ssm.inner_size", "rope.dimension_sections"}) {
            assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(with(m -> m.remove("qwen35moe." + key)))))
                    .as(key).hasMessageContaining(key);
        }
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(with(m ->
                m.put("qwen35moe.ssm.inner_size", GgufValue.ofUint32(2048))))))
                .hasMessageContaining("ssm.inner_size' 2048 must be ssm.state_size 128 x ssm.time_step_rank 32");
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(with(m -> {
            m.put("qwen35moe.ssm.time_step_rank", GgufValue.ofUint32(24));
            m.put("qwen35moe.ssm.inner_size", GgufValue.ofUint32(3072));
        })))).hasMessageContaining("whole groups");
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(with(m ->
                m.put("qwen35moe.full_attention_interval", GgufValue.ofUint32(1))))))
                .hasMessageContaining("no block of qwen35moe runs the delta rule");
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(with(m ->
                m.put("qwen35moe.attention.recurrent_layers", GgufValue.ofArray(new GgufArray(GgufValueType.BOOL,
                        new boolean[3])))))))
                .hasMessageContaining("3 flags for 40 blocks");
        boolean[] all = new boolean[40];
        java.util.Arrays.fill(all, true);
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(with(m ->
                m.put("qwen35moe.attention.recurrent_layers", GgufValue.ofArray(new GgufArray(GgufValueType.BOOL, all)))))))
                .hasMessageContaining("at least one attention block");
    }

    @Test
    void theWritersKeysReadBackEqual() {
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(qwen36_35bA3b()));
        assertThat(ModelConfigReader.read(new GgufMetadata(ModelConfigWriter.metadata(c)))).isEqualTo(c);
        boolean[] flags = new boolean[40];
        flags[1] = true;
        ModelConfig listed = ModelConfigReader.read(new GgufMetadata(with(m -> m.put(
                "qwen35moe.attention.recurrent_layers", GgufValue.ofArray(new GgufArray(GgufValueType.BOOL, flags))))));
        assertThat(ModelConfigReader.read(new GgufMetadata(ModelConfigWriter.metadata(listed)))).isEqualTo(listed);
    }
}
