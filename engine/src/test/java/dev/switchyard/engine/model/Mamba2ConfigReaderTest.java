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
 * Granite 4.0-H's files as llama.cpp's converter writes them: which blocks run Mamba2, its shape,
 * the attention blocks without rotary positions, Granite's multipliers (each optional), routing and
 * the shared expert; each refusal by its key; and the writer's keys reading back equal.
 */
class Mamba2ConfigReaderTest {

    private static final int LAYERS = 40;

    /** Keys shaped like Granite-4.0-H-Tiny's: 40 blocks, four attending, 64 experts top-6 beside a shared one. */
    private static Map<String, GgufValue> graniteTiny() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("granitehybrid"));
        m.put("granitehybrid.context_length", GgufValue.ofUint32(1 << 20));
        m.put("granitehybrid.embedding_length", GgufValue.ofUint32(1536));
        m.put("granitehybrid.block_count", GgufValue.ofUint32(LAYERS));
        m.put("granitehybrid.attention.head_count", GgufValue.ofUint32(12));
        long[] kv = new long[LAYERS];
        for (int b = 5; b < LAYERS; b += 10) {
            kv[b] = 4;
        }
        m.put("granitehybrid.attention.head_count_kv", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, kv)));
        m.put("granitehybrid.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-5f));
        m.put("granitehybrid.rope.freq_base", GgufValue.ofFloat32(10_000f));
        m.put("granitehybrid.rope.scaling.finetuned", GgufValue.ofBool(false));
        m.put("granitehybrid.feed_forward_length", GgufValue.ofUint32(512));
        m.put("granitehybrid.expert_count", GgufValue.ofUint32(64));
        m.put("granitehybrid.expert_used_count", GgufValue.ofUint32(6));
        m.put("granitehybrid.expert_shared_feed_forward_length", GgufValue.ofUint32(1024));
        m.put("granitehybrid.ssm.conv_kernel", GgufValue.ofUint32(4));
        m.put("granitehybrid.ssm.state_size", GgufValue.ofUint32(128));
        m.put("granitehybrid.ssm.group_count", GgufValue.ofUint32(1));
        m.put("granitehybrid.ssm.time_step_rank", GgufValue.ofUint32(48));
        m.put("granitehybrid.ssm.inner_size", GgufValue.ofUint32(3072));
        m.put("granitehybrid.embedding_scale", GgufValue.ofFloat32(12f));
        m.put("granitehybrid.residual_scale", GgufValue.ofFloat32(0.22f));
        m.put("granitehybrid.attention.scale", GgufValue.ofFloat32(0.0078125f));
        m.put("granitehybrid.logit_scale", GgufValue.ofFloat32(6f));
        m.put("granitehybrid.vocab_size", GgufValue.ofUint32(100352));
        return m;
    }

    private static Map<String, GgufValue> with(Consumer<Map<String, GgufValue>> change) {
        Map<String, GgufValue> m = graniteTiny();
        change.accept(m);
        return m;
    }

    private static ModelConfig read(Map<String, GgufValue> m) {
        return ModelConfigReader.read(new GgufMetadata(m));
    }

    @Test
    void graniteTinyRunsMamba2InEveryBlockThatDoesNotAttend() {
        ModelConfig c = read(graniteTiny());
        assertThat(c.architecture()).isEqualTo(Architecture.GRANITE_HYBRID);
        assertThat(c.convolution().count()).isEqualTo(36);
        assertThat(c.isConvolutionBlock(0)).isTrue();
        assertThat(c.isConvolutionBlock(5)).isFalse();
        assertThat(c.convolution().mamba2()).isEqualTo(new Mamba2(48, 64, 128, 1));
        assertThat(c.convolution().deltaNet()).isNull();
        assertThat(c.convolution().width(c.dim())).as("x, B and C").isEqualTo(3072 + 2 * 128);
        assertThat(c.carriesRecurrentState()).isTrue();
        assertThat(c.fullKvBlocks()).isEqualTo(4);
        assertThat(c.kvHeadCount()).isEqualTo(4);
        assertThat(c.headDimK()).isEqualTo(128);
        assertThat(c.pattern().rotates(5)).as("no rotary positions").isFalse();
        assertThat(c.scales()).isEqualTo(new ScaleFactors(12f, 0.22f, 0.0078125f, 6f));
        assertThat(c.expertFeedForwardLength()).isEqualTo(512);
        assertThat(c.sharedExpertFeedForwardLength()).isEqualTo(1024);
        assertThat(c.normalizeTopK()).isTrue();
        assertThat(c.routing()).as("the residual scale rides on the routed weights")
                .isEqualTo(new ExpertRouting(ExpertRouting.Gating.SOFTMAX, 1, 1, 0.22f));
        assertThat(TensorLayout.expectedTensors(c))
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.0.ssm_in.weight");
                    assertThat(t.dims()).as("z, x B C, dt").containsExactly(1536, 3072 + 3072 + 256 + 48);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.0.ssm_conv1d.weight");
                    assertThat(t.dims()).containsExactly(4, 3328);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.0.ssm_conv1d.bias");
                    assertThat(t.dims()).containsExactly(3328);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.0.ssm_a");
                    assertThat(t.dims()).containsExactly(1, 48);
                    assertThat(t.role()).isEqualTo(TensorRole.DECAY);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.0.ssm_d");
                    assertThat(t.dims()).containsExactly(1, 48);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.0.ssm_norm.weight");
                    assertThat(t.dims()).as("a row per group").containsExactly(3072, 1);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.0.ssm_out.weight");
                    assertThat(t.dims()).containsExactly(3072, 1536);
                })
                .anySatisfy(t -> assertThat(t.name()).isEqualTo("blk.0.ffn_norm.weight"))
                .anySatisfy(t -> assertThat(t.name()).isEqualTo("blk.0.ffn_gate_exps.weight"))
                .anySatisfy(t -> assertThat(t.name()).isEqualTo("blk.5.ffn_up_shexp.weight"))
                .anySatisfy(t -> assertThat(t.name()).isEqualTo("blk.5.attn_q.weight"))
                .noneSatisfy(t -> assertThat(t.name()).isEqualTo("blk.0.attn_q.weight"))
                .noneSatisfy(t -> assertThat(t.name()).isEqualTo("blk.5.ssm_in.weight"));
    }

    @Test
    void absentMultipliersAreNoneAndRotaryPositionsAreKeptWhereTheFileSaysSo() {
        ModelConfig c = read(with(m -> {
            m.remove("granitehybrid.embedding_scale");
            m.put("granitehybrid.residual_scale", GgufValue.ofFloat32(0f));
            m.remove("granitehybrid.attention.scale");
            m.remove("granitehybrid.logit_scale");
            m.remove("granitehybrid.rope.scaling.finetuned");
        }));
        assertThat(c.scales()).isEqualTo(ScaleFactors.NONE);
        assertThat(c.routing()).isEqualTo(ExpertRouting.SOFTMAX);
        assertThat(c.pattern()).isEqualTo(LayerPattern.UNIFORM);
        assertThat(c.pattern().rotates(5)).isTrue();
    }

    @Test
    void aDenseModelHasItsFfnInEveryBlock() {
        ModelConfig c = read(with(m -> {
            m.remove("granitehybrid.expert_count");
            m.remove("granitehybrid.expert_used_count");
            m.remove("granitehybrid.expert_shared_feed_forward_length");
            m.put("granitehybrid.feed_forward_length", GgufValue.ofUint32(8192));
        }));
        assertThat(c.isMoe()).isFalse();
        assertThat(TensorLayout.expectedTensors(c))
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.0.ffn_gate.weight");
                    assertThat(t.dims()).containsExactly(1536, 8192);
                })
                .noneSatisfy(t -> assertThat(t.name()).isEqualTo("blk.0.ffn_gate_inp.weight"));
    }

    @Test
    void filesTheEngineCannotRunAreRefusedNamingTheKey() {
        for (String key : new String[] {"ssm.conv_kernel", "ssm.state_size", "ssm.group_count", "ssm.time_step_rank",
            "ssm.inner_size", "attention.head_count_kv"}) {
            assertThatThrownBy(() -> read(with(m -> m.remove("granitehybrid." + key)))).as(key).hasMessageContaining(key);
        }
        assertThatThrownBy(() -> read(with(m -> m.put("granitehybrid.ssm.inner_size", GgufValue.ofUint32(3000)))))
                .hasMessageContaining("ssm.inner_size' 3000 must be a whole number of channels");
        assertThatThrownBy(() -> read(with(m -> m.put("granitehybrid.ssm.group_count", GgufValue.ofUint32(5)))))
                .hasMessageContaining("whole groups");
        assertThatThrownBy(() -> read(with(m -> m.put("granitehybrid.attention.head_count_kv", GgufValue.ofUint32(4)))))
                .hasMessageContaining("0 for each Mamba2 block");
        assertThatThrownBy(() -> read(with(m -> m.put("granitehybrid.attention.head_count_kv",
                GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, new long[LAYERS]))))))
                .hasMessageContaining("at least one attention block");
        long[] none = new long[LAYERS];
        java.util.Arrays.fill(none, 4);
        assertThatThrownBy(() -> read(with(m -> m.put("granitehybrid.attention.head_count_kv",
                GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, none))))))
                .hasMessageContaining("no block of granitehybrid runs Mamba2");
    }

    @Test
    void theWritersKeysReadBackEqual() {
        for (Map<String, GgufValue> m : java.util.List.of(graniteTiny(),
                with(mm -> mm.put("granitehybrid.rope.scaling.finetuned", GgufValue.ofBool(true))))) {
            ModelConfig c = read(m);
            assertThat(read(ModelConfigWriter.metadata(c))).isEqualTo(c);
        }
    }
}
