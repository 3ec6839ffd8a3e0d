package dev.switchyard.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.engine.gguf.GgufArray;
import dev.switchyard.engine.gguf.GgufMetadata;
import dev.switchyard.engine.gguf.GgufValue;
import dev.switchyard.engine.gguf.GgufValueType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Kimi-Linear's files as llama.cpp's converter writes them: delta-attention blocks told apart from
 * latent-attention ones by 0 in {@code attention.head_count_kv}, their heads {@code kda.head_dim}
 * wide whatever the model's width per head, each of queries, keys and values with its own kernel;
 * latent attention never rotated, its value length left unstated; a dense first block, then sigmoid
 * routing with a selection bias, renormalized and scaled, beside one shared expert; each refusal by
 * its key; and the writer's keys reading back equal.
 */
class KimiLinearConfigReaderTest {

    /** Kimi-Linear-48B-A3B's latent-attention blocks (the others run delta attention). */
    private static final Set<Integer> ATTENDING = Set.of(3, 7, 11, 15, 19, 23, 26);
    private static final int BLOCKS = 27;

    /** Keys shaped like Kimi-Linear-48B-A3B's. */
    private static Map<String, GgufValue> kimi() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        String p = "kimi-linear.";
        m.put("general.architecture", GgufValue.ofString("kimi-linear"));
        m.put(p + "context_length", GgufValue.ofUint32(1 << 20));
        m.put(p + "embedding_length", GgufValue.ofUint32(2304));
        m.put(p + "block_count", GgufValue.ofUint32(BLOCKS));
        m.put(p + "feed_forward_length", GgufValue.ofUint32(9216));
        m.put(p + "attention.head_count", GgufValue.ofUint32(32));
        long[] kv = new long[BLOCKS];
        for (int b : ATTENDING) {
            kv[b] = 1;
        }
        m.put(p + "attention.head_count_kv", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.UINT32, kv)));
        m.put(p + "attention.key_length", GgufValue.ofUint32(576));
        m.put(p + "attention.key_length_mla", GgufValue.ofUint32(192));
        m.put(p + "attention.value_length_mla", GgufValue.ofUint32(128));
        m.put(p + "attention.kv_lora_rank", GgufValue.ofUint32(512));
        m.put(p + "attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-5f));
        m.put(p + "rope.dimension_count", GgufValue.ofUint32(64));
        m.put(p + "ssm.conv_kernel", GgufValue.ofUint32(4));
        m.put(p + "kda.head_dim", GgufValue.ofUint32(128));
        m.put(p + "expert_count", GgufValue.ofUint32(256));
        m.put(p + "expert_used_count", GgufValue.ofUint32(8));
        m.put(p + "expert_feed_forward_length", GgufValue.ofUint32(1024));
        m.put(p + "expert_shared_count", GgufValue.ofUint32(1));
        m.put(p + "leading_dense_block_count", GgufValue.ofUint32(1));
        m.put(p + "expert_weights_scale", GgufValue.ofFloat32(2.446f));
        m.put(p + "expert_gating_func", GgufValue.ofUint32(2));
        m.put(p + "vocab_size", GgufValue.ofUint32(163840));
        return m;
    }

    private static Map<String, GgufValue> with(Consumer<Map<String, GgufValue>> change) {
        Map<String, GgufValue> m = kimi();
        change.accept(m);
        return m;
    }

    private static ModelConfig read(Map<String, GgufValue> m) {
        return ModelConfigReader.read(new GgufMetadata(m));
    }

    @Test
    void theReleasedModelRunsDeltaAttentionBesideUnrotatedLatentAttention() {
        ModelConfig c = read(kimi());
        assertThat(c.architecture()).isEqualTo(Architecture.KIMI_LINEAR);
        assertThat(c.convolution().count()).as("delta-attention blocks").isEqualTo(20);
        assertThat(c.attentionBlocks()).isEqualTo(7);
        assertThat(c.isConvolutionBlock(0)).isTrue();
        assertThat(c.attends(3)).isTrue();
        assertThat(c.attends(4)).isFalse();
        assertThat(c.convolution().deltaNet()).isEqualTo(DeltaNet.kimi(32, 128));
        assertThat(c.convolution().deltaNet().gates()).as("a decay per key channel").isEqualTo(32 * 128);
        assertThat(c.convolution().deltaNet().convolvedWidth()).isEqualTo(3 * 4096);
        assertThat(c.carriesRecurrentState()).isTrue();
        assertThat(c.latentAttention()).isEqualTo(new LatentAttention(0, 512, 192, 128, 0));
        assertThat(c.pattern().rotates(3)).as("no rotary positions").isFalse();
        assertThat(c.headDimK()).isEqualTo(576);
        assertThat(c.headDimV()).as("the cached latent, value_length unstated").isEqualTo(512);
        assertThat(c.leadingDenseLayers()).isEqualTo(1);
        assertThat(c.isRoutedBlock(0)).isFalse();
        assertThat(c.isRoutedBlock(1)).isTrue();
        assertThat(c.routing()).isEqualTo(new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 2.446f));
        assertThat(c.normalizeTopK()).isTrue();
        assertThat(c.sharedExpertFeedForwardLength()).isEqualTo(1024);
        assertThat(TensorLayout.expectedTensors(c))
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.0.attn_q.weight");
                    assertThat(t.dims()).containsExactly(2304, 4096);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.0.ssm_conv1d_k.weight");
                    assertThat(t.dims()).containsExactly(4, 1, 4096);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.0.ssm_f_a.weight");
                    assertThat(t.dims()).containsExactly(2304, 128);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.0.ssm_g_b.weight");
                    assertThat(t.dims()).containsExactly(128, 4096);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.0.ssm_dt.bias");
                    assertThat(t.dims()).as("a bias per key channel").containsExactly(4096);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.0.ssm_a");
                    assertThat(t.dims()).containsExactly(1, 32);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.0.attn_output.weight");
                    assertThat(t.dims()).containsExactly(4096, 2304);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.3.attn_q.weight");
                    assertThat(t.dims()).as("full-rank queries").containsExactly(2304, 32 * 192);
                })
                .anySatisfy(t -> assertThat(t.name()).isEqualTo("blk.3.attn_kv_a_mqa.weight"))
                .anySatisfy(t -> assertThat(t.name()).isEqualTo("blk.0.ffn_gate.weight"))
                .anySatisfy(t -> assertThat(t.name()).isEqualTo("blk.1.exp_probs_b.bias"))
                .anySatisfy(t -> assertThat(t.name()).isEqualTo("blk.1.ffn_gate_shexp.weight"))
                .noneSatisfy(t -> assertThat(t.name()).isEqualTo("blk.0.attn_kv_a_mqa.weight"))
                .noneSatisfy(t -> assertThat(t.name()).isEqualTo("blk.3.ssm_conv1d_q.weight"))
                .noneSatisfy(t -> assertThat(t.name()).isEqualTo("blk.0.attn_qkv.weight"))
                .noneSatisfy(t -> assertThat(t.name()).isEqualTo("rope_freqs.weight"));
    }

    @Test
    void convolutionKernelsAndRatesMatchWithOrWithoutTheirTrailingOnes() {
        ModelConfig c = read(kimi());
        TensorSpec kernel = TensorLayout.expectedTensors(c).stream()
                .filter(t -> t.name().equals("blk.0.ssm_conv1d_v.weight")).findFirst().orElseThrow();
        assertThat(kernel.hasDims(new long[] {4, 1, 4096, 1})).as("as the converter writes it").isTrue();
        assertThat(kernel.hasDims(new long[] {4, 1, 4096})).as("as a quantizer may leave it").isTrue();
        assertThat(kernel.hasDims(new long[] {4, 4096})).as("a different layout").isFalse();
        TensorSpec rates = TensorLayout.expectedTensors(c).stream()
                .filter(t -> t.name().equals("blk.0.ssm_a")).findFirst().orElseThrow();
        assertThat(rates.hasDims(new long[] {1, 32, 1, 1})).isTrue();
        assertThat(rates.hasDims(new long[] {32})).isFalse();
    }

    @Test
    void filesTheEngineCannotRunAreRefusedNamingTheKey() {
        for (String key : new String[] {"kda.head_dim", "ssm.conv_kernel", "attention.kv_lora_rank",
            "expert_gating_func", "expert_feed_forward_length", "expert_shared_count"}) {
            assertThatThrownBy(() -> read(with(m -> m.remove("kimi-linear." + key)))).as(key).hasMessageContaining(key);
        }
        assertThatThrownBy(() -> read(with(m -> m.put("kimi-linear.attention.head_count_kv",
                GgufValue.ofArray(GgufArray.ofInts(GgufValueType.UINT32, 0, 1, 0))))))
                .hasMessageContaining("3 entries for block_count 27");
        assertThatThrownBy(() -> read(with(m -> m.put("kimi-linear.attention.head_count_kv",
                GgufValue.ofArray(GgufArray.ofInts(GgufValueType.UINT32, new long[BLOCKS]))))))
                .as("every block recurrent").hasMessageContaining("attention block");
        long[] none = new long[BLOCKS];
        java.util.Arrays.fill(none, 1);
        assertThatThrownBy(() -> read(with(m -> m.put("kimi-linear.attention.head_count_kv",
                GgufValue.ofArray(GgufArray.ofInts(GgufValueType.UINT32, none))))))
                .hasMessageContaining("no block of kimi-linear runs delta attention");
        assertThatThrownBy(() -> read(with(m -> m.put("kimi-linear.attention.value_length", GgufValue.ofUint32(128)))))
                .as("a stated value length must be the latent's").hasMessageContaining("value_length");
    }

    @Test
    void theWritersKeysReadBackEqual() {
        ModelConfig c = read(kimi());
        Map<String, GgufValue> written = ModelConfigWriter.metadata(c);
        assertThat(written).doesNotContainKey("kimi-linear.attention.value_length");
        assertThat(read(written)).isEqualTo(c);
    }
}
