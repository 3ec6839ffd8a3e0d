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
 * MiMo-V2-Flash's files as llama.cpp's converter writes them: windowed blocks listed by
 * {@code attention.sliding_window_pattern}, with KV heads of their own in the per-block
 * {@code attention.head_count_kv} and a rotary base of their own; keys wider than values, a third
 * of each rotated; its prediction blocks counted in but not run; a dense first block, then sigmoid
 * routing, renormalized and unscaled; the attention outputs' value scale; each refusal by its key;
 * and the writer's keys reading back equal.
 */
class MimoConfigReaderTest {

    /** 48 blocks and 3 prediction blocks; blocks 0, 5, 11, ..., 47 attend to every position. */
    private static final int BLOCKS = 51;

    private static boolean full(int block) {
        return block < 48 && (block == 0 || (block + 1) % 6 == 0);
    }

    /** Keys shaped like MiMo-V2-Flash's. */
    private static Map<String, GgufValue> flash() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        String p = "mimo2.";
        m.put("general.architecture", GgufValue.ofString("mimo2"));
        m.put(p + "context_length", GgufValue.ofUint32(262144));
        m.put(p + "embedding_length", GgufValue.ofUint32(4096));
        m.put(p + "block_count", GgufValue.ofUint32(BLOCKS));
        m.put(p + "nextn_predict_layers", GgufValue.ofUint32(3));
        m.put(p + "feed_forward_length", GgufValue.ofUint32(16384));
        m.put(p + "attention.head_count", GgufValue.ofUint32(64));
        long[] kv = new long[BLOCKS];
        long[] windowed = new long[BLOCKS];
        for (int b = 0; b < BLOCKS; b++) {
            kv[b] = full(b) ? 4 : 8;
            windowed[b] = full(b) ? 0 : 1;
        }
        m.put(p + "attention.head_count_kv", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, kv)));
        m.put(p + "attention.sliding_window_pattern", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, windowed)));
        m.put(p + "attention.sliding_window", GgufValue.ofUint32(128));
        m.put(p + "attention.key_length", GgufValue.ofUint32(192));
        m.put(p + "attention.value_length", GgufValue.ofUint32(128));
        m.put(p + "attention.value_scale", GgufValue.ofFloat32(0.707f));
        m.put(p + "attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-5f));
        m.put(p + "rope.dimension_count", GgufValue.ofUint32(64));
        m.put(p + "rope.freq_base", GgufValue.ofFloat32(5e6f));
        m.put(p + "rope.freq_base_swa", GgufValue.ofFloat32(1e4f));
        m.put(p + "expert_count", GgufValue.ofUint32(256));
        m.put(p + "expert_used_count", GgufValue.ofUint32(8));
        m.put(p + "expert_feed_forward_length", GgufValue.ofUint32(2048));
        m.put(p + "expert_gating_func", GgufValue.ofUint32(2));
        m.put(p + "vocab_size", GgufValue.ofUint32(152576));
        return m;
    }

    private static Map<String, GgufValue> with(Consumer<Map<String, GgufValue>> change) {
        Map<String, GgufValue> m = flash();
        change.accept(m);
        return m;
    }

    private static ModelConfig read(Map<String, GgufValue> m) {
        return ModelConfigReader.read(new GgufMetadata(m));
    }

    @Test
    void flashWindowsMostBlocksWithHeadsAndABaseOfTheirOwn() {
        ModelConfig c = read(flash());
        assertThat(c.architecture()).isEqualTo(Architecture.MIMO2);
        assertThat(c.layers()).as("the prediction blocks are not run").isEqualTo(48);
        assertThat(c.windowedBlocks()).isEqualTo(39);
        assertThat(c.slidingWindow(1)).isEqualTo(128);
        assertThat(c.slidingWindow(0)).isZero();
        assertThat(c.slidingWindow(5)).isZero();
        assertThat(c.slidingWindow(6)).isEqualTo(128);
        assertThat(c.kvHeadCount()).isEqualTo(4);
        assertThat(c.kvHeadCount(0)).isEqualTo(4);
        assertThat(c.kvHeadCount(1)).isEqualTo(8);
        assertThat(c.windowKvHeadCount()).isEqualTo(8);
        assertThat(c.ropeFreqBase(0)).isEqualTo(5e6);
        assertThat(c.ropeFreqBase(1)).isEqualTo(1e4);
        assertThat(c.keepsWindowedKvApart()).isTrue();
        assertThat(c.headDimK()).isEqualTo(192);
        assertThat(c.headDimV()).isEqualTo(128);
        assertThat(c.ropeDimensions()).isEqualTo(64);
        assertThat(c.attentionScale()).isEqualTo(1 / Math.sqrt(192));
        assertThat(c.valueScale()).isEqualTo(0.707f);
        assertThat(c.leadingDenseLayers()).isEqualTo(1);
        assertThat(c.isRoutedBlock(0)).isFalse();
        assertThat(c.routing()).isEqualTo(new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 1.0));
        assertThat(c.normalizeTopK()).isTrue();
        assertThat(c.hasSharedExpert()).isFalse();
        assertThat(TensorLayout.expectedTensors(c))
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.0.attn_k.weight");
                    assertThat(t.dims()).containsExactly(4096, 4 * 192);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.1.attn_k.weight");
                    assertThat(t.dims()).as("a windowed block's own heads").containsExactly(4096, 8 * 192);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.1.attn_v.weight");
                    assertThat(t.dims()).containsExactly(4096, 8 * 128);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.1.attn_output.weight");
                    assertThat(t.dims()).containsExactly(64 * 128, 4096);
                })
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.1.attn_sinks.weight");
                    assertThat(t.optional()).isTrue();
                })
                .anySatisfy(t -> assertThat(t.name()).isEqualTo("blk.0.ffn_gate.weight"))
                .anySatisfy(t -> assertThat(t.name()).isEqualTo("blk.1.exp_probs_b.bias"))
                .noneSatisfy(t -> assertThat(t.name()).isEqualTo("blk.1.ffn_gate_shexp.weight"))
                .noneSatisfy(t -> assertThat(t.name()).startsWith("blk.48."));
    }

    @Test
    void absentBaseAndScaleTakeLlamaCppsDefaults() {
        ModelConfig c = read(with(m -> {
            m.remove("mimo2.rope.freq_base_swa");
            m.remove("mimo2.attention.value_scale");
        }));
        assertThat(c.ropeFreqBase(1)).isEqualTo(1e4);
        assertThat(c.valueScale()).as("files converted before the key, run unscaled as llama.cpp runs them").isEqualTo(1.0);
    }

    @Test
    void filesTheEngineCannotRunAreRefusedNamingTheKey() {
        for (String key : new String[] {"attention.sliding_window_pattern", "attention.sliding_window",
            "expert_feed_forward_length", "attention.head_count_kv"}) {
            assertThatThrownBy(() -> read(with(m -> m.remove("mimo2." + key)))).as(key).hasMessageContaining(key);
        }
        assertThatThrownBy(() -> read(with(m -> m.put("mimo2.attention.sliding_window_pattern",
                GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, 0, 1, 1))))))
                .hasMessageContaining("a flag for each of block_count 51");
        long[] uneven = new long[BLOCKS];
        for (int b = 0; b < BLOCKS; b++) {
            uneven[b] = full(b) ? 4 : b == 7 ? 16 : 8;
        }
        assertThatThrownBy(() -> read(with(m -> m.put("mimo2.attention.head_count_kv",
                GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, uneven))))))
                .hasMessageContaining("windowed blocks 8 and 16 KV heads");
        assertThatThrownBy(() -> read(with(m -> m.put("mimo2.attention.head_count_kv",
                GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, 4, 8))))))
                .hasMessageContaining("2 entries for block_count 51");
    }

    @Test
    void theWritersKeysReadBackEqual() {
        ModelConfig c = read(flash());
        assertThat(read(ModelConfigWriter.metadata(c))).isEqualTo(c);
    }
}
