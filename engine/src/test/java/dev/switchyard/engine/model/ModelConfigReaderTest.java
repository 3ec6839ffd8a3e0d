package dev.switchyard.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.engine.gguf.GgufArray;
import dev.switchyard.engine.gguf.GgufMetadata;
import dev.switchyard.engine.gguf.GgufValue;
import dev.switchyard.engine.gguf.GgufValueType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ModelConfigReaderTest {

    /** The keys of Mixtral-8x7B-Instruct as llama.cpp's converter writes them. */
    private static Map<String, GgufValue> mixtral8x7b() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("llama"));
        m.put("general.name", GgufValue.ofString("mistralai_mixtral-8x7b-instruct-v0.1"));
        m.put("llama.context_length", GgufValue.ofUint32(32768));
        m.put("llama.embedding_length", GgufValue.ofUint32(4096));
        m.put("llama.block_count", GgufValue.ofUint32(32));
        m.put("llama.feed_forward_length", GgufValue.ofUint32(14336));
        m.put("llama.rope.dimension_count", GgufValue.ofUint32(128));
        m.put("llama.attention.head_count", GgufValue.ofUint32(32));
        m.put("llama.attention.head_count_kv", GgufValue.ofUint32(8));
        m.put("llama.expert_count", GgufValue.ofUint32(8));
        m.put("llama.expert_used_count", GgufValue.ofUint32(2));
        m.put("llama.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-5f));
        m.put("llama.rope.freq_base", GgufValue.ofFloat32(1e6f));
        m.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings("<unk>", "<s>", "</s>")));
        return m;
    }

    @Test
    void readsMixtralAsLlamaWithExperts() {
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(mixtral8x7b()));
        assertThat(c.architecture()).isEqualTo(Architecture.LLAMA);
        assertThat(c.isMoe()).isTrue();
        assertThat(c.expertCount()).isEqualTo(8);
        assertThat(c.expertUsedCount()).isEqualTo(2);
        assertThat(c.expertFeedForwardLength()).isEqualTo(14336);
        assertThat(c.headDimK()).isEqualTo(128);
        assertThat(c.queriesPerKvHead()).isEqualTo(4);
        assertThat(c.normalizeTopK()).isTrue();
        assertThat(c.ropeFreqBase()).isEqualTo(1e6);
        assertThat(c.rmsEps()).isEqualTo(1e-5f);
        assertThat(c.vocabSize()).isEqualTo(3);
        assertThat(c.architecture().ropeLayout()).isEqualTo(Architecture.RopeLayout.NORMAL);
    }

    @Test
    void readsQwen3MoeWithExplicitHeadDimAndExpertWidth() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("qwen3moe"));
        m.put("qwen3moe.context_length", GgufValue.ofUint32(40960));
        m.put("qwen3moe.embedding_length", GgufValue.ofUint32(2048));
        m.put("qwen3moe.block_count", GgufValue.ofUint32(48));
        m.put("qwen3moe.feed_forward_length", GgufValue.ofUint32(6144));
        m.put("qwen3moe.attention.head_count", GgufValue.ofUint32(32));
        m.put("qwen3moe.attention.head_count_kv", GgufValue.ofUint32(4));
        m.put("qwen3moe.attention.key_length", GgufValue.ofUint32(128));
        m.put("qwen3moe.attention.value_length", GgufValue.ofUint32(128));
        m.put("qwen3moe.expert_count", GgufValue.ofUint32(128));
        m.put("qwen3moe.expert_used_count", GgufValue.ofUint32(8));
        m.put("qwen3moe.expert_feed_forward_length", GgufValue.ofUint32(768));
        m.put("qwen3moe.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-6f));
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(m));
        assertThat(c.headDimK()).isEqualTo(128);
        assertThat(c.qDim()).isEqualTo(4096);
        assertThat(c.expertFeedForwardLength()).isEqualTo(768);
        assertThat(c.ropeDimensions()).isEqualTo(128);
        assertThat(c.ropeFreqBase()).isEqualTo(10000.0);
        assertThat(c.architecture().qkNorm()).isEqualTo(Architecture.QkNorm.PER_HEAD);
        assertThat(c.vocabSize()).isZero();
    }

    @Test
    void qwen2MoeFallsBackToDenseWidthOverActiveExperts() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("qwen2moe"));
        m.put("qwen2moe.context_length", GgufValue.ofUint32(8192));
        m.put("qwen2moe.embedding_length", GgufValue.ofUint32(2048));
        m.put("qwen2moe.block_count", GgufValue.ofUint32(24));
        m.put("qwen2moe.feed_forward_length", GgufValue.ofUint32(5632));
        m.put("qwen2moe.attention.head_count", GgufValue.ofUint32(16));
        m.put("qwen2moe.expert_count", GgufValue.ofUint32(60));
        m.put("qwen2moe.expert_used_count", GgufValue.ofUint32(4));
        m.put("qwen2moe.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-6f));
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(m));
        assertThat(c.expertFeedForwardLength()).isEqualTo(5632 / 4);
        assertThat(c.sharedExpertFeedForwardLength()).isEqualTo(5632);
        assertThat(c.kvHeadCount()).isEqualTo(16);
        assertThat(c.normalizeTopK()).isFalse();
    }

    @Test
    void missingKeyIsNamed() {
        Map<String, GgufValue> m = mixtral8x7b();
        m.remove("llama.block_count");
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(m)))
                .isInstanceOf(ModelConfigException.class)
                .hasMessageContaining("'llama.block_count'")
                .hasMessageContaining("missing");
    }

    @Test
    void missingEpsilonIsNamed() {
        Map<String, GgufValue> m = mixtral8x7b();
        m.remove("llama.attention.layer_norm_rms_epsilon");
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(m)))
                .hasMessageContaining("'llama.attention.layer_norm_rms_epsilon' is missing");
    }

    @Test
    void missingArchitectureIsNamed() {
        Map<String, GgufValue> m = mixtral8x7b();
        m.remove("general.architecture");
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(m)))
                .isInstanceOf(ModelConfigException.class)
                .hasMessageContaining("'general.architecture' is missing");
    }

    @Test
    void unsupportedArchitectureIsNamedWithTheSupportedOnes() {
        Map<String, GgufValue> m = mixtral8x7b();
        m.put("general.architecture", GgufValue.ofString("mamba"));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(m)))
                .isInstanceOf(ModelConfigException.class)
                .hasMessageContaining("unsupported architecture 'mamba'")
                .hasMessageContaining("qwen3moe");
    }

    @Test
    void mistypedKeyIsAnErrorNotADefault() {
        Map<String, GgufValue> m = mixtral8x7b();
        m.put("llama.expert_count", GgufValue.ofString("eight"));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(m)))
                .isInstanceOf(ModelConfigException.class)
                .hasMessageContaining("'llama.expert_count' is a STRING");
    }

    @Test
    void inconsistentHeadsAreRejected() {
        Map<String, GgufValue> m = mixtral8x7b();
        m.put("llama.attention.head_count_kv", GgufValue.ofUint32(5));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(m)))
                .hasMessageContaining("not a multiple of head_count_kv 5");
    }

    @Test
    void moreExpertsUsedThanExistAreRejected() {
        Map<String, GgufValue> m = mixtral8x7b();
        m.put("llama.expert_used_count", GgufValue.ofUint32(9));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(m)))
                .hasMessageContaining("expert_used_count 9");
    }

    @Test
    void moeFamilyWithoutExpertsIsRejected() {
        Map<String, GgufValue> m = new LinkedHashMap<>(mixtral8x7b());
        Map<String, GgufValue> olmoe = new LinkedHashMap<>();
        m.forEach((k, v) -> olmoe.put(k.replace("llama.", "olmoe."), v));
        olmoe.put("general.architecture", GgufValue.ofString("olmoe"));
        olmoe.remove("olmoe.expert_count");
        olmoe.remove("olmoe.expert_used_count");
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(olmoe)))
                .hasMessageContaining("olmoe is a mixture-of-experts family but expert_count is 0");
    }

    @Test
    void linearRopeScalingIsRead() {
        Map<String, GgufValue> m = mixtral8x7b();
        m.put("llama.rope.scaling.type", GgufValue.ofString("linear"));
        m.put("llama.rope.scaling.factor", GgufValue.ofFloat32(4f));
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(m));
        assertThat(c.ropeScaling().type()).isEqualTo(RopeScaling.Type.LINEAR);
        assertThat(c.ropeScaling().factor()).isEqualTo(4.0);
    }

    @Test
    void yarnRopeScalingIsReadWithItsOriginalContextAndAttentionFactor() {
        Map<String, GgufValue> m = mixtral8x7b();
        m.put("llama.rope.scaling.type", GgufValue.ofString("yarn"));
        m.put("llama.rope.scaling.factor", GgufValue.ofFloat32(4f));
        m.put("llama.rope.scaling.original_context_length", GgufValue.ofUint32(32768));
        m.put("llama.rope.scaling.attn_factor", GgufValue.ofFloat32(0.5f));
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(m));
        assertThat(c.ropeScaling()).isEqualTo(new RopeScaling(RopeScaling.Type.YARN, 4.0, 32768, 0.5));
        m.remove("llama.rope.scaling.attn_factor");
        assertThat(ModelConfigReader.read(new GgufMetadata(m)).ropeScaling().attnFactor()).isEqualTo(1.0);
        m.put("llama.rope.scaling.attn_factor", GgufValue.ofFloat32(0f));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(m)))
                .hasMessageContaining("rope.scaling.attn_factor");
    }

    @Test
    void unknownRopeScalingIsRejected() {
        Map<String, GgufValue> m = mixtral8x7b();
        m.put("llama.rope.scaling.type", GgufValue.ofString("longrope2"));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(m)))
                .hasMessageContaining("unsupported rope scaling type 'longrope2'");
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void writerAndReaderAgreeForEveryArchitecture(Architecture arch) {
        boolean moe = !arch.isDenseOnly();
        int shared = arch.hasSharedExpert() ? 1024 : 0;
        int leadingDense = arch.hasLeadingDenseLayers() ? 1 : 0;
        ModelConfig c;
        if (arch == Architecture.AFMOE) {
            // AFMoE's fixed blocks: a window on three of every four, embeddings times sqrt(dim)
            c = new ModelConfig(arch, "m", 4096, 512, 4, 8, 2, 64, 64, 1024, 16, 4, 256, 256, 1, true, 1e-5f, 1e4, 64,
                    RopeScaling.NONE, 1000, null, new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 2.826f), 128,
                    ScaleFactors.widthScaledEmbeddings(512), new LayerPattern(1, 4, false, 0, 0, 0));
        } else if (arch == Architecture.EXAONE_MOE) {
            // K-EXAONE: AFMoE's three windowed blocks to one global, a shared expert of a stated width
            c = new ModelConfig(arch, "m", 4096, 512, 4, 8, 2, 64, 64, 1024, 16, 4, 256, 256, 1, true, 1e-5f, 1e6, 64,
                    RopeScaling.NONE, 1000, null, new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 2.5), 128,
                    ScaleFactors.NONE, new LayerPattern(1, 4, false, 0, 0, 0));
        } else if (arch.hasConvolutionBlocks()) {
            // LFM2: two convolution blocks to one attention block, LFM2-MoE's first block dense
            c = new ModelConfig(arch, "m", 4096, 512, 3, 8, 2, 64, 64, 1024, moe ? 16 : 0, moe ? 4 : 0, moe ? 256 : 0, 0,
                    leadingDense, true, 1e-5f, 1e6, 64, RopeScaling.NONE, 1000, null,
                    moe ? new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 1.0) : ExpertRouting.SOFTMAX, 0,
                    ScaleFactors.NONE, LayerPattern.UNIFORM, RopeSections.NONE, new ConvolutionBlocks(3, List.of(0, 1)));
        } else if (arch.hasDeltaNetBlocks()) {
            // Qwen3.5 and Qwen3-Next: two delta-net blocks to one attention block, a sigmoid-gated shared expert
            c = new ModelConfig(arch, "m", 4096, 512, 3, 8, 2, 64, 64, moe ? 0 : 1024, moe ? 16 : 0, moe ? 4 : 0,
                    moe ? 256 : 0, moe ? 256 : 0, 0, true, 1e-6f, 1e7, 16, RopeScaling.NONE, 1000, null,
                    ExpertRouting.SOFTMAX, 0, ScaleFactors.NONE, LayerPattern.UNIFORM,
                    arch.hasRopeSections() ? RopeSections.interleaved(3, 3, 2, 0) : RopeSections.NONE,
                    new ConvolutionBlocks(4, List.of(0, 1), new DeltaNet(2, 4, 64, arch != Architecture.QWEN3NEXT)));
        } else if (arch.separatesFeedForward()) {
            // Nemotron-H: a Mamba2 block, an FFN block, an attention block, an FFN block; the MoE one's
            // sigmoid routing scaled by 2.5, a shared expert of its own width
            c = new ModelConfig(arch, "m", 4096, 512, 4, 8, 2, 64, 64, 256, moe ? 16 : 0, moe ? 4 : 0, moe ? 256 : 0,
                    moe ? 512 : 0, 0, moe, 1e-5f, 1e4, 64, RopeScaling.NONE, 1000, null,
                    moe ? new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 2.5) : ExpertRouting.SOFTMAX, 0,
                    ScaleFactors.NONE, LayerPattern.UNROTATED, RopeSections.NONE,
                    new ConvolutionBlocks(4, List.of(0), new Mamba2(16, 64, 128, 8), List.of(1, 3)));
        } else if (arch.hasMamba2Blocks()) {
            // Granite 4.0-H: two Mamba2 blocks to one attention block without rotary positions, Granite's
            // multipliers, a shared expert of its own width
            ScaleFactors scales = new ScaleFactors(12.0f, 0.22f, 0.0078125f, 6.0f);
            c = new ModelConfig(arch, "m", 4096, 512, 3, 8, 2, 64, 64, 256, 16, 4, 256, 512, 0, true, 1e-5f, 1e4, 64,
                    RopeScaling.NONE, 1000, null, new ExpertRouting(ExpertRouting.Gating.SOFTMAX, 1, 1, scales.residual()),
                    0, scales, LayerPattern.UNROTATED, RopeSections.NONE,
                    new ConvolutionBlocks(4, List.of(0, 1), new Mamba2(16, 64, 128, 2)));
        } else if (arch.hasRopeSections()) {
            // Qwen3-VL's interleaved sections, as the released models state them
            c = new ModelConfig(arch, "m", 4096, 512, 3, 8, 2, 64, 64, moe ? 0 : 1024, moe ? 16 : 0, moe ? 4 : 0,
                    moe ? 256 : 0, 0, 0, true, 1e-6f, 5e6, 64, RopeScaling.NONE, 1000, null, ExpertRouting.SOFTMAX, 0,
                    ScaleFactors.NONE, LayerPattern.UNIFORM, RopeSections.interleaved(24, 20, 20, 0));
        } else if (!arch.latentAttention() && !arch.hasSeparateExpertWidth()) {
            c = new ModelConfig(arch, "m", 4096, 512, 3, 8, 2, 64, 64,
                    moe ? 0 : 1024, moe ? 16 : 0, moe ? 4 : 0, moe ? 256 : 0, shared, 0,
                    arch.normalizeTopKByDefault(), 1e-6f, 1e6, 64, RopeScaling.NONE, 1000);
        } else if (arch == Architecture.LLAMA4) {
            // as Llama 4's files are read: one shared expert an expert wide, sigmoid routing
            c = new ModelConfig(arch, "m", 4096, 512, 3, 8, 2, 64, 64, 1024, 16, 1, 256, 256, 0, false, 1e-6f, 5e5, 64,
                    RopeScaling.NONE, 1000, null, new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 1.0), 0,
                    ScaleFactors.NONE, new LayerPattern(1, 4, true, 8192, 8192, 0.1));
        } else if (arch.listsWindowedBlocks()) {
            // MiMo-V2: blocks 1 and 2 windowed, with twice the KV heads and a base of their own; values scaled
            c = new ModelConfig(arch, "m", 4096, 512, 3, 8, 2, 96, 64, 1024, 16, 4, 256, 0, 1, true, 1e-5f, 5e6, 32,
                    RopeScaling.NONE, 1000, null, new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 1.0), 128,
                    ScaleFactors.NONE, LayerPattern.UNIFORM, RopeSections.NONE, ConvolutionBlocks.NONE, 0,
                    new WindowLayout(List.of(1, 2), 4, 1e4), 0.707f);
        } else if (arch.slidesWindows()) {
            c = new ModelConfig(arch, "m", 4096, 512, 3, 8, 2, 64, 64, 1024, 16, 4, 256, 0, 0, true, 1e-5f, 150000,
                    64, new RopeScaling(RopeScaling.Type.YARN, 32, 4096), 1000, null, ExpertRouting.SOFTMAX, 128);
        } else if (arch.hasDeltaAttentionBlocks()) {
            // Kimi-Linear: delta attention in two blocks, unrotated latent attention in the third
            c = new ModelConfig(arch, "m", 4096, 512, 3, 8, 1, 160, 128, 1024, 16, 4, 256, shared, leadingDense, true,
                    1e-5f, 1e4, 32, RopeScaling.NONE, 1000, new LatentAttention(0, 128, 96, 64, 0),
                    new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 2.446f), 0, ScaleFactors.NONE,
                    LayerPattern.UNROTATED, RopeSections.NONE, new ConvolutionBlocks(4, List.of(0, 1), DeltaNet.kimi(8, 96)));
        } else if (arch.latentAttention()) {
            c = new ModelConfig(arch, "m", 4096, 512, 3, 8, 1, 160, 128, 1024, 16, 4, 256, shared, leadingDense,
                    arch.normalizeTopKByDefault(), 1e-6f, 1e4, 32, new RopeScaling(RopeScaling.Type.YARN, 40, 4096),
                    1000, new LatentAttention(96, 128, 96, 64, 0.5),
                    new ExpertRouting(ExpertRouting.Gating.SIGMOID, 4, 2, 2.5));
        } else {
            c = new ModelConfig(arch, "m", 4096, 512, 3, 8, 2, 64, 64, 1024, 16, 4, 256,
                    shared, leadingDense, arch.normalizeTopKByDefault(), 1e-6f, 1e6, 64, RopeScaling.NONE, 1000);
        }
        ModelConfig back = ModelConfigReader.read(new GgufMetadata(ModelConfigWriter.metadata(c)));
        if (moe && (arch == Architecture.LLAMA || arch == Architecture.OLMOE || arch == Architecture.GRANITE_MOE)) {
            // these families keep the expert width under feed_forward_length
            // (Granite's shared expert, where it has one, states its width)
            assertThat(back).isEqualTo(new ModelConfig(arch, "m", 4096, 512, 3, 8, 2, 64, 64, 256, 16, 4, 256, shared, 0,
                    arch.normalizeTopKByDefault(), 1e-6f, 1e6, 64, RopeScaling.NONE, 1000));
        } else {
            assertThat(back).isEqualTo(c);
        }
    }

    /** The text model's keys of Llama-4-Scout-17B-16E-Instruct as llama.cpp's converter writes them. */
    private static Map<String, GgufValue> llama4Scout() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("llama4"));
        m.put("llama4.context_length", GgufValue.ofUint32(10485760));
        m.put("llama4.embedding_length", GgufValue.ofUint32(5120));
        m.put("llama4.block_count", GgufValue.ofUint32(48));
        m.put("llama4.feed_forward_length", GgufValue.ofUint32(16384));
        m.put("llama4.expert_feed_forward_length", GgufValue.ofUint32(8192));
        m.put("llama4.interleave_moe_layer_step", GgufValue.ofUint32(1));
        m.put("llama4.rope.dimension_count", GgufValue.ofUint32(128));
        m.put("llama4.attention.head_count", GgufValue.ofUint32(40));
        m.put("llama4.attention.head_count_kv", GgufValue.ofUint32(8));
        m.put("llama4.expert_count", GgufValue.ofUint32(16));
        m.put("llama4.expert_used_count", GgufValue.ofUint32(1));
        m.put("llama4.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-5f));
        m.put("llama4.rope.freq_base", GgufValue.ofFloat32(500000f));
        m.put("llama4.vocab_size", GgufValue.ofUint32(202048));
        return m;
    }

    @Test
    void readsLlama4ScoutWithItsBlockPatternSigmoidRoutingAndOneSharedExpert() {
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(llama4Scout()));
        assertThat(c.architecture()).isEqualTo(Architecture.LLAMA4);
        assertThat(c.contextLength()).isEqualTo(10485760);
        assertThat(c.expertFeedForwardLength()).isEqualTo(8192);
        assertThat(c.sharedExpertFeedForwardLength()).as("one shared expert, an expert wide").isEqualTo(8192);
        assertThat(c.feedForwardLength()).isEqualTo(16384);
        assertThat(c.routing().gating()).isEqualTo(ExpertRouting.Gating.SIGMOID);
        assertThat(c.normalizeTopK()).isFalse();
        assertThat(c.pattern()).isEqualTo(new LayerPattern(1, 4, true, 8192, 8192, 0.1));
        assertThat(c.routedLayers()).isEqualTo(48);
        assertThat(c.architecture().weighsExpertInputs()).isTrue();
        assertThat(ModelConfigReader.read(new GgufMetadata(ModelConfigWriter.metadata(c)))).isEqualTo(c);

        Map<String, GgufValue> maverick = llama4Scout();
        maverick.put("llama4.expert_count", GgufValue.ofUint32(128));
        maverick.put("llama4.interleave_moe_layer_step", GgufValue.ofUint32(2));
        ModelConfig m = ModelConfigReader.read(new GgufMetadata(maverick));
        assertThat(m.pattern().rotatedQkNorm()).as("the 128-expert model norms no queries or keys").isFalse();
        assertThat(m.routedLayers()).isEqualTo(24);
        assertThat(m.isRoutedBlock(0)).isFalse();
        assertThat(m.isRoutedBlock(1)).isTrue();

        Map<String, GgufValue> unchunked = llama4Scout();
        unchunked.put("llama4.attention.sliding_window", GgufValue.ofUint32(0));
        ModelConfig u = ModelConfigReader.read(new GgufMetadata(unchunked));
        assertThat(u.pattern().unrotatedStep()).as("a window of 0: every block rotated").isZero();
        assertThat(u.pattern().hasTemperature()).isFalse();
        assertThat(u.pattern().chunkOf(0)).as("every block over every position").isZero();
        assertThat(ModelConfigReader.read(new GgufMetadata(ModelConfigWriter.metadata(u)))).isEqualTo(u);

        for (String key : new String[] {"interleave_moe_layer_step", "expert_feed_forward_length"}) {
            Map<String, GgufValue> missing = llama4Scout();
            missing.remove("llama4." + key);
            assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(missing))).as(key)
                    .isInstanceOf(ModelConfigException.class).hasMessageContaining("llama4." + key);
        }
    }

    /** The keys of MiniMax-M2 as llama.cpp's converter writes them. */
    private static Map<String, GgufValue> miniMaxM2() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("minimax-m2"));
        m.put("minimax-m2.context_length", GgufValue.ofUint32(196608));
        m.put("minimax-m2.embedding_length", GgufValue.ofUint32(3072));
        m.put("minimax-m2.block_count", GgufValue.ofUint32(62));
        m.put("minimax-m2.feed_forward_length", GgufValue.ofUint32(1536));
        m.put("minimax-m2.expert_feed_forward_length", GgufValue.ofUint32(1536));
        m.put("minimax-m2.attention.head_count", GgufValue.ofUint32(48));
        m.put("minimax-m2.attention.head_count_kv", GgufValue.ofUint32(8));
        m.put("minimax-m2.attention.key_length", GgufValue.ofUint32(128));
        m.put("minimax-m2.attention.value_length", GgufValue.ofUint32(128));
        m.put("minimax-m2.expert_count", GgufValue.ofUint32(256));
        m.put("minimax-m2.expert_used_count", GgufValue.ofUint32(8));
        m.put("minimax-m2.expert_gating_func", GgufValue.ofUint32(2));
        m.put("minimax-m2.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-6f));
        m.put("minimax-m2.rope.freq_base", GgufValue.ofFloat32(5000000f));
        m.put("minimax-m2.rope.dimension_count", GgufValue.ofUint32(64));
        m.put("minimax-m2.vocab_size", GgufValue.ofUint32(200064));
        return m;
    }

    @Test
    void readsMiniMaxM2WithWholeProjectionQkNormAndHalfRotatedHeads() {
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(miniMaxM2()));
        assertThat(c.architecture()).isEqualTo(Architecture.MINIMAX_M2);
        assertThat(c.architecture().ropeLayout()).isEqualTo(Architecture.RopeLayout.NEOX);
        assertThat(c.architecture().qkNorm()).isEqualTo(Architecture.QkNorm.WHOLE_VECTOR);
        assertThat(c.ropeDimensions()).as("64 of each head's 128 rotate").isEqualTo(64);
        assertThat(c.kvHeadCount()).isEqualTo(8);
        assertThat(c.routing()).isEqualTo(new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 1.0));
        assertThat(c.normalizeTopK()).isTrue();
        assertThat(c.routedLayers()).isEqualTo(62);
        List<TensorSpec> tensors = TensorLayout.expectedTensors(c);
        assertThat(tensors).filteredOn(t -> t.name().equals("blk.0.attn_q_norm.weight")).singleElement()
                .satisfies(t -> assertThat(t.dims()).as("over all 48 query heads").containsExactly(48L * 128));
        assertThat(tensors).filteredOn(t -> t.name().equals("blk.0.attn_k_norm.weight")).singleElement()
                .satisfies(t -> assertThat(t.dims()).as("over the 8 key heads").containsExactly(8L * 128));
        assertThat(tensors).filteredOn(t -> t.name().equals("blk.0.exp_probs_b.bias")).singleElement()
                .satisfies(t -> assertThat(t.optional()).as("llama.cpp requires the selection bias").isFalse());
        assertThat(ModelConfigReader.read(new GgufMetadata(ModelConfigWriter.metadata(c)))).isEqualTo(c);

        Map<String, GgufValue> unstated = miniMaxM2();
        unstated.remove("minimax-m2.expert_gating_func");
        assertThat(ModelConfigReader.read(new GgufMetadata(unstated)).routing().gating())
                .as("MiniMax-M2 routes by sigmoid when its file does not say").isEqualTo(ExpertRouting.Gating.SIGMOID);
        Map<String, GgufValue> unnormed = miniMaxM2();
        unnormed.put("minimax-m2.expert_weights_norm", GgufValue.ofBool(false));
        assertThat(ModelConfigReader.read(new GgufMetadata(unnormed)).normalizeTopK())
                .as("llama.cpp renormalizes whatever the file says").isTrue();
        Map<String, GgufValue> missing = miniMaxM2();
        missing.remove("minimax-m2.expert_feed_forward_length");
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(missing)))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("minimax-m2.expert_feed_forward_length");
    }

    /** The keys of Qwen3-VL-30B-A3B's language model as llama.cpp's converter writes them. */
    private static Map<String, GgufValue> qwen3Vl30bA3b() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("qwen3vlmoe"));
        m.put("qwen3vlmoe.context_length", GgufValue.ofUint32(262144));
        m.put("qwen3vlmoe.embedding_length", GgufValue.ofUint32(2048));
        m.put("qwen3vlmoe.block_count", GgufValue.ofUint32(48));
        m.put("qwen3vlmoe.feed_forward_length", GgufValue.ofUint32(6144));
        m.put("qwen3vlmoe.expert_feed_forward_length", GgufValue.ofUint32(768));
        m.put("qwen3vlmoe.attention.head_count", GgufValue.ofUint32(32));
        m.put("qwen3vlmoe.attention.head_count_kv", GgufValue.ofUint32(4));
        m.put("qwen3vlmoe.attention.key_length", GgufValue.ofUint32(128));
        m.put("qwen3vlmoe.attention.value_length", GgufValue.ofUint32(128));
        m.put("qwen3vlmoe.expert_count", GgufValue.ofUint32(128));
        m.put("qwen3vlmoe.expert_used_count", GgufValue.ofUint32(8));
        m.put("qwen3vlmoe.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-6f));
        m.put("qwen3vlmoe.rope.freq_base", GgufValue.ofFloat32(5000000f));
        m.put("qwen3vlmoe.rope.dimension_sections", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, 24, 20, 20, 0)));
        m.put("qwen3vlmoe.n_deepstack_layers", GgufValue.ofUint32(3));
        return m;
    }

    @Test
    void readsQwen3VlAsQwen3MoeWithInterleavedRotarySections() {
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(qwen3Vl30bA3b()));
        assertThat(c.architecture()).isEqualTo(Architecture.QWEN3VLMOE);
        assertThat(c.architecture().qkNorm()).isEqualTo(Architecture.QkNorm.PER_HEAD);
        assertThat(c.ropeSections()).isEqualTo(RopeSections.interleaved(24, 20, 20, 0));
        assertThat(c.expertFeedForwardLength()).isEqualTo(768);
        assertThat(c.normalizeTopK()).isTrue();
        assertThat(ModelConfigReader.read(new GgufMetadata(ModelConfigWriter.metadata(c)))).isEqualTo(c);
        // of the 64 rotating pairs, the two that interleaving gives the extra position stay still for text
        List<Integer> still = java.util.stream.IntStream.range(0, 64).filter(c.ropeSections()::stillForText).boxed().toList();
        assertThat(still).containsExactly(61, 62);

        Map<String, GgufValue> missing = qwen3Vl30bA3b();
        missing.remove("qwen3vlmoe.rope.dimension_sections");
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(missing)))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("qwen3vlmoe.rope.dimension_sections");
        Map<String, GgufValue> negative = qwen3Vl30bA3b();
        negative.put("qwen3vlmoe.rope.dimension_sections", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, 24, -20, 20, 0)));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(negative)))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("rope.dimension_sections");
        Map<String, GgufValue> five = qwen3Vl30bA3b();
        five.put("qwen3vlmoe.rope.dimension_sections", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, 1, 2, 3, 4, 5)));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(five)))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("5 sections");
        Map<String, GgufValue> dense = qwen3Vl30bA3b();
        dense.put("general.architecture", GgufValue.ofString("qwen3vl"));
        Map<String, GgufValue> renamed = new LinkedHashMap<>();
        dense.forEach((k, v) -> renamed.put(k.replace("qwen3vlmoe.", "qwen3vl."), v));
        renamed.remove("qwen3vl.expert_count");
        renamed.remove("qwen3vl.expert_used_count");
        renamed.remove("qwen3vl.expert_feed_forward_length");
        ModelConfig d = ModelConfigReader.read(new GgufMetadata(renamed));
        assertThat(d.architecture()).isEqualTo(Architecture.QWEN3VL);
        assertThat(d.isMoe()).isFalse();
        assertThat(d.ropeSections()).isEqualTo(RopeSections.interleaved(24, 20, 20, 0));
    }

    /** The keys of Hunyuan-A13B-Instruct as llama.cpp's converter writes them (its NTK alpha folded into the base). */
    private static Map<String, GgufValue> hunyuanA13b() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("hunyuan-moe"));
        m.put("hunyuan-moe.context_length", GgufValue.ofUint32(262144));
        m.put("hunyuan-moe.embedding_length", GgufValue.ofUint32(4096));
        m.put("hunyuan-moe.block_count", GgufValue.ofUint32(32));
        m.put("hunyuan-moe.feed_forward_length", GgufValue.ofUint32(3072));
        m.put("hunyuan-moe.expert_feed_forward_length", GgufValue.ofUint32(3072));
        m.put("hunyuan-moe.expert_shared_feed_forward_length", GgufValue.ofUint32(3072));
        m.put("hunyuan-moe.attention.head_count", GgufValue.ofUint32(32));
        m.put("hunyuan-moe.attention.head_count_kv", GgufValue.ofUint32(8));
        m.put("hunyuan-moe.attention.key_length", GgufValue.ofUint32(128));
        m.put("hunyuan-moe.attention.value_length", GgufValue.ofUint32(128));
        m.put("hunyuan-moe.expert_count", GgufValue.ofUint32(64));
        m.put("hunyuan-moe.expert_used_count", GgufValue.ofUint32(8));
        m.put("hunyuan-moe.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-5f));
        m.put("hunyuan-moe.rope.freq_base", GgufValue.ofFloat32(11158840f));
        m.put("hunyuan-moe.rope.scaling.type", GgufValue.ofString("none"));
        m.put("hunyuan-moe.rope.scaling.factor", GgufValue.ofFloat32(1f));
        m.put("hunyuan-moe.rope.scaling.original_context_length", GgufValue.ofUint32(262144));
        m.put("hunyuan-moe.vocab_size", GgufValue.ofUint32(128167));
        return m;
    }

    @Test
    void readsHunyuanWithQkNormAfterRotationAndItsSharedExpert() {
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(hunyuanA13b()));
        assertThat(c.architecture()).isEqualTo(Architecture.HUNYUAN_MOE);
        assertThat(c.architecture().ropeLayout()).isEqualTo(Architecture.RopeLayout.NEOX);
        assertThat(c.architecture().normsQkAfterRope()).isTrue();
        assertThat(c.ropeScaling()).isEqualTo(RopeScaling.NONE);
        assertThat(c.sharedExpertFeedForwardLength()).isEqualTo(3072);
        assertThat(c.routing()).isEqualTo(ExpertRouting.SOFTMAX);
        assertThat(c.normalizeTopK()).isTrue();
        assertThat(TensorLayout.expectedTensors(c)).extracting(TensorSpec::name).contains("blk.0.attn_q_norm.weight",
                "blk.0.ffn_gate_shexp.weight").doesNotContain("blk.0.exp_probs_b.bias");
        assertThat(ModelConfigReader.read(new GgufMetadata(ModelConfigWriter.metadata(c)))).isEqualTo(c);

        Map<String, GgufValue> unstated = hunyuanA13b();
        unstated.remove("hunyuan-moe.expert_shared_feed_forward_length");
        unstated.put("hunyuan-moe.feed_forward_length", GgufValue.ofUint32(6144));
        assertThat(ModelConfigReader.read(new GgufMetadata(unstated)).sharedExpertFeedForwardLength())
                .as("the dense width, as llama.cpp falls back on it").isEqualTo(6144);
        Map<String, GgufValue> missing = hunyuanA13b();
        missing.remove("hunyuan-moe.expert_feed_forward_length");
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(missing)))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("hunyuan-moe.expert_feed_forward_length");
    }

    /** The keys of Ling-mini-2.0 as llama.cpp's converter writes them (its prediction block counted in). */
    private static Map<String, GgufValue> lingMini2() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("bailingmoe2"));
        m.put("bailingmoe2.context_length", GgufValue.ofUint32(32768));
        m.put("bailingmoe2.embedding_length", GgufValue.ofUint32(2048));
        m.put("bailingmoe2.block_count", GgufValue.ofUint32(21));
        m.put("bailingmoe2.nextn_predict_layers", GgufValue.ofUint32(1));
        m.put("bailingmoe2.feed_forward_length", GgufValue.ofUint32(5120));
        m.put("bailingmoe2.expert_feed_forward_length", GgufValue.ofUint32(512));
        m.put("bailingmoe2.expert_shared_feed_forward_length", GgufValue.ofUint32(512));
        m.put("bailingmoe2.attention.head_count", GgufValue.ofUint32(16));
        m.put("bailingmoe2.attention.head_count_kv", GgufValue.ofUint32(4));
        m.put("bailingmoe2.attention.key_length", GgufValue.ofUint32(128));
        m.put("bailingmoe2.attention.value_length", GgufValue.ofUint32(128));
        m.put("bailingmoe2.expert_count", GgufValue.ofUint32(256));
        m.put("bailingmoe2.expert_used_count", GgufValue.ofUint32(8));
        m.put("bailingmoe2.expert_shared_count", GgufValue.ofUint32(1));
        m.put("bailingmoe2.leading_dense_block_count", GgufValue.ofUint32(1));
        m.put("bailingmoe2.expert_group_count", GgufValue.ofUint32(8));
        m.put("bailingmoe2.expert_group_used_count", GgufValue.ofUint32(4));
        m.put("bailingmoe2.expert_weights_scale", GgufValue.ofFloat32(2.5f));
        m.put("bailingmoe2.expert_weights_norm", GgufValue.ofBool(true));
        m.put("bailingmoe2.expert_gating_func", GgufValue.ofUint32(2));
        m.put("bailingmoe2.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-6f));
        m.put("bailingmoe2.rope.freq_base", GgufValue.ofFloat32(600000f));
        m.put("bailingmoe2.rope.dimension_count", GgufValue.ofUint32(64));
        m.put("bailingmoe2.vocab_size", GgufValue.ofUint32(157184));
        return m;
    }

    @Test
    void readsLing2WithItsFusedProjectionGroupsAndPredictionBlockLeftOut() {
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(lingMini2()));
        assertThat(c.architecture()).isEqualTo(Architecture.BAILINGMOE2);
        assertThat(c.layers()).as("the prediction block is not run").isEqualTo(20);
        assertThat(c.leadingDenseLayers()).isEqualTo(1);
        assertThat(c.ropeDimensions()).isEqualTo(64);
        assertThat(c.sharedExpertFeedForwardLength()).isEqualTo(512);
        assertThat(c.routing()).isEqualTo(new ExpertRouting(ExpertRouting.Gating.SIGMOID, 8, 4, 2.5));
        assertThat(c.normalizeTopK()).isTrue();
        List<TensorSpec> tensors = TensorLayout.expectedTensors(c);
        assertThat(tensors).extracting(TensorSpec::name).contains("blk.0.attn_qkv.weight", "blk.0.attn_q_norm.weight",
                "blk.1.ffn_gate_shexp.weight").doesNotContain("blk.0.attn_q.weight", "blk.20.attn_norm.weight");
        assertThat(tensors).filteredOn(t -> t.name().equals("blk.0.attn_qkv.weight")).singleElement()
                .satisfies(t -> assertThat(t.dims()).as("queries, keys and values stacked")
                        .containsExactly(2048L, 2048L + 2 * 512));
        assertThat(tensors).filteredOn(t -> t.name().equals("blk.1.exp_probs_b.bias")).singleElement()
                .satisfies(t -> assertThat(t.optional()).isTrue());
        assertThat(ModelConfigReader.read(new GgufMetadata(ModelConfigWriter.metadata(c)))).isEqualTo(c);

        Map<String, GgufValue> twoShared = lingMini2();
        twoShared.put("bailingmoe2.expert_shared_count", GgufValue.ofUint32(2));
        twoShared.remove("bailingmoe2.expert_shared_feed_forward_length");
        ModelConfig two = ModelConfigReader.read(new GgufMetadata(twoShared));
        assertThat(two.sharedExpertFeedForwardLength()).as("two shared experts an expert wide").isEqualTo(1024);
        assertThat(ModelConfigReader.read(new GgufMetadata(ModelConfigWriter.metadata(two)))).isEqualTo(two);
        Map<String, GgufValue> unnormed = lingMini2();
        unnormed.remove("bailingmoe2.expert_weights_norm");
        assertThat(ModelConfigReader.read(new GgufMetadata(unnormed)).normalizeTopK())
                .as("unnormalized where the file does not say, as llama.cpp").isFalse();
        for (String key : new String[] {"expert_gating_func", "expert_shared_count", "expert_feed_forward_length"}) {
            Map<String, GgufValue> missing = lingMini2();
            missing.remove("bailingmoe2." + key);
            assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(missing))).as(key)
                    .isInstanceOf(ModelConfigException.class).hasMessageContaining("bailingmoe2." + key);
        }
    }

    /**
     * K-EXAONE's keys as llama.cpp's converter writes them (in proportion, cut to 8 blocks and a
     * prediction block): a windowed-block flag per block, the shared experts' count and width.
     */
    private static Map<String, GgufValue> kExaone() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("exaone-moe"));
        m.put("exaone-moe.context_length", GgufValue.ofUint32(262144));
        m.put("exaone-moe.embedding_length", GgufValue.ofUint32(6144));
        m.put("exaone-moe.block_count", GgufValue.ofUint32(9));
        m.put("exaone-moe.nextn_predict_layers", GgufValue.ofUint32(1));
        m.put("exaone-moe.feed_forward_length", GgufValue.ofUint32(18432));
        m.put("exaone-moe.expert_feed_forward_length", GgufValue.ofUint32(2048));
        m.put("exaone-moe.expert_shared_count", GgufValue.ofUint32(1));
        m.put("exaone-moe.expert_shared_feed_forward_length", GgufValue.ofUint32(2048));
        m.put("exaone-moe.attention.head_count", GgufValue.ofUint32(64));
        m.put("exaone-moe.attention.head_count_kv", GgufValue.ofUint32(8));
        m.put("exaone-moe.attention.key_length", GgufValue.ofUint32(128));
        m.put("exaone-moe.attention.value_length", GgufValue.ofUint32(128));
        m.put("exaone-moe.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-5f));
        m.put("exaone-moe.attention.sliding_window", GgufValue.ofUint32(128));
        boolean[] windowed = new boolean[8];
        for (int b = 0; b < 8; b++) {
            windowed[b] = (b + 1) % 4 != 0;
        }
        m.put("exaone-moe.attention.sliding_window_pattern", GgufValue.ofArray(new GgufArray(GgufValueType.BOOL, windowed)));
        m.put("exaone-moe.rope.freq_base", GgufValue.ofFloat32(1_000_000f));
        m.put("exaone-moe.expert_count", GgufValue.ofUint32(128));
        m.put("exaone-moe.expert_used_count", GgufValue.ofUint32(8));
        m.put("exaone-moe.leading_dense_block_count", GgufValue.ofUint32(1));
        m.put("exaone-moe.expert_weights_scale", GgufValue.ofFloat32(2.5f));
        m.put("exaone-moe.expert_weights_norm", GgufValue.ofBool(true));
        m.put("exaone-moe.expert_gating_func", GgufValue.ofUint32(2));
        m.put("exaone-moe.vocab_size", GgufValue.ofUint32(153600));
        return m;
    }

    @Test
    void kExaoneWindowsThreeBlocksOfFourAndLeavesTheFourthUnrotated() {
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(kExaone()));
        assertThat(c.architecture()).isEqualTo(Architecture.EXAONE_MOE);
        assertThat(c.layers()).as("the prediction block is not run").isEqualTo(8);
        assertThat(c.slidingWindow()).isEqualTo(128);
        assertThat(java.util.stream.IntStream.range(0, 8).filter(b -> c.slidingWindow(b) > 0).boxed().toList())
                .containsExactly(0, 1, 2, 4, 5, 6);
        assertThat(java.util.stream.IntStream.range(0, 8).filter(b -> !c.pattern().rotates(b)).boxed().toList())
                .containsExactly(3, 7);
        assertThat(c.headDimK()).isEqualTo(128);
        assertThat(c.sharedExpertFeedForwardLength()).isEqualTo(2048);
        assertThat(c.hasSharedExpert()).isTrue();
        assertThat(c.leadingDenseLayers()).isEqualTo(1);
        assertThat(c.routing()).isEqualTo(new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 2.5));
        assertThat(c.normalizeTopK()).isTrue();
        assertThat(c.keepsWindowedKvApart()).isTrue();
        // a period of 4 says the same
        Map<String, GgufValue> period = kExaone();
        period.put("exaone-moe.attention.sliding_window_pattern", GgufValue.ofUint32(4));
        assertThat(ModelConfigReader.read(new GgufMetadata(period))).isEqualTo(c);
    }

    @Test
    void kExaoneFilesTheEngineCannotRunAreRefusedNamingTheKey() {
        Map<String, GgufValue> noPattern = kExaone();
        noPattern.remove("exaone-moe.attention.sliding_window_pattern");
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(noPattern)))
                .hasMessageContaining("'exaone-moe.attention.sliding_window_pattern' is missing");
        Map<String, GgufValue> other = kExaone();
        boolean[] halves = {true, false, true, false, true, false, true, false};
        other.put("exaone-moe.attention.sliding_window_pattern", GgufValue.ofArray(new GgufArray(GgufValueType.BOOL, halves)));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(other)))
                .hasMessageContaining("exaone-moe.attention.sliding_window_pattern").hasMessageContaining("not supported");
        Map<String, GgufValue> noWindow = kExaone();
        noWindow.remove("exaone-moe.attention.sliding_window");
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(noWindow)))
                .hasMessageContaining("exaone-moe.attention.sliding_window");
        Map<String, GgufValue> noGating = kExaone();
        noGating.remove("exaone-moe.expert_gating_func");
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(noGating)))
                .hasMessageContaining("exaone-moe.expert_gating_func");
        Map<String, GgufValue> swaBase = kExaone();
        swaBase.put("exaone-moe.rope.freq_base_swa", GgufValue.ofFloat32(10_000f));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(swaBase)))
                .hasMessageContaining("exaone-moe.rope.freq_base_swa");
    }

    /** LFM2-8B-A1B's keys as llama.cpp's converter writes them: a KV head count per block, 0 where it convolves. */
    private static Map<String, GgufValue> lfm2Moe8bA1b() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("lfm2moe"));
        m.put("lfm2moe.context_length", GgufValue.ofUint32(128000));
        m.put("lfm2moe.embedding_length", GgufValue.ofUint32(2048));
        m.put("lfm2moe.block_count", GgufValue.ofUint32(24));
        m.put("lfm2moe.feed_forward_length", GgufValue.ofUint32(7168));
        m.put("lfm2moe.expert_feed_forward_length", GgufValue.ofUint32(1792));
        m.put("lfm2moe.attention.head_count", GgufValue.ofUint32(32));
        long[] kv = new long[24];
        for (int b : new int[] {2, 6, 10, 14, 18, 21}) {
            kv[b] = 8;
        }
        m.put("lfm2moe.attention.head_count_kv", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, kv)));
        m.put("lfm2moe.rope.freq_base", GgufValue.ofFloat32(1_000_000f));
        m.put("lfm2moe.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-5f));
        m.put("lfm2moe.shortconv.l_cache", GgufValue.ofUint32(3));
        m.put("lfm2moe.expert_count", GgufValue.ofUint32(32));
        m.put("lfm2moe.expert_used_count", GgufValue.ofUint32(4));
        m.put("lfm2moe.leading_dense_block_count", GgufValue.ofUint32(2));
        m.put("lfm2moe.expert_gating_func", GgufValue.ofUint32(2));
        m.put("lfm2moe.vocab_size", GgufValue.ofUint32(65536));
        return m;
    }

    @Test
    void lfm2MoeConvolvesWhereItsFileCountsNoKvHeadsAndRoutesBySigmoidUnscaled() {
        Map<String, GgufValue> m = lfm2Moe8bA1b();
        m.put("lfm2moe.expert_weights_scale", GgufValue.ofFloat32(2.5f)); // llama.cpp leaves the weights unscaled
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(m));
        assertThat(c.architecture()).isEqualTo(Architecture.LFM2MOE);
        assertThat(c.convolution().length()).isEqualTo(3);
        assertThat(c.convolution().blocks()).containsExactly(0, 1, 3, 4, 5, 7, 8, 9, 11, 12, 13, 15, 16, 17, 19, 20, 22, 23);
        assertThat(c.kvHeadCount()).isEqualTo(8);
        assertThat(c.headDimK()).isEqualTo(64);
        assertThat(c.ropeDimensions()).isEqualTo(64);
        assertThat(c.feedForwardLength()).isEqualTo(7168);
        assertThat(c.expertFeedForwardLength()).isEqualTo(1792);
        assertThat(c.leadingDenseLayers()).isEqualTo(2);
        assertThat(c.routing()).isEqualTo(new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 1.0));
        assertThat(c.normalizeTopK()).isTrue();
        assertThat(c.fullKvBlocks()).isEqualTo(6);
        assertThat(c.usesWindowPool()).isTrue();
        assertThat(c.windowPoolReach()).isEqualTo(3);
        // each routed block's selection bias is required, and the final norm is llama.cpp's token_embd_norm
        assertThat(TensorLayout.expectedTensors(c)).anySatisfy(t -> {
            assertThat(t.name()).isEqualTo("blk.2.exp_probs_b.bias");
            assertThat(t.optional()).isFalse();
        }).anySatisfy(t -> assertThat(t.name()).isEqualTo("token_embd_norm.weight"))
                .anySatisfy(t -> {
                    assertThat(t.name()).isEqualTo("blk.0.shortconv.conv.weight");
                    assertThat(t.dims()).containsExactly(3, 2048);
                })
                .noneSatisfy(t -> assertThat(t.name()).isEqualTo("blk.0.attn_q.weight"))
                .noneSatisfy(t -> assertThat(t.name()).isEqualTo("output_norm.weight"));
        m.remove("lfm2moe.expert_gating_func");
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(m)))
                .hasMessageContaining("lfm2moe.expert_gating_func");
    }

    @Test
    void lfm2DenseReadsLfm2_1_2b() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        lfm2Moe8bA1b().forEach((k, v) -> {
            if (!k.contains("expert") && !k.contains("leading_dense")) {
                m.put(k.replace("lfm2moe.", "lfm2."), v);
            }
        });
        m.put("general.architecture", GgufValue.ofString("lfm2"));
        m.put("lfm2.block_count", GgufValue.ofUint32(16));
        m.put("lfm2.feed_forward_length", GgufValue.ofUint32(8192));
        long[] kv = new long[16];
        for (int b : new int[] {2, 5, 8, 10, 12, 14}) {
            kv[b] = 8;
        }
        m.put("lfm2.attention.head_count_kv", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, kv)));
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(m));
        assertThat(c.isMoe()).isFalse();
        assertThat(c.convolution().count()).isEqualTo(10);
        assertThat(c.isConvolutionBlock(2)).isFalse();
        assertThat(c.isConvolutionBlock(15)).isTrue();
        assertThat(c.feedForwardLength()).isEqualTo(8192);
    }

    @Test
    void lfm2FilesTheEngineCannotRunAreRefusedNamingTheKey() {
        Map<String, GgufValue> noLength = lfm2Moe8bA1b();
        noLength.remove("lfm2moe.shortconv.l_cache");
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(noLength)))
                .hasMessageContaining("lfm2moe.shortconv.l_cache");
        Map<String, GgufValue> oneTap = lfm2Moe8bA1b();
        oneTap.put("lfm2moe.shortconv.l_cache", GgufValue.ofUint32(1));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(oneTap)))
                .hasMessageContaining("shortconv.l_cache must be at least 2");
        Map<String, GgufValue> twoCounts = lfm2Moe8bA1b();
        long[] kv = new long[24];
        kv[2] = 8;
        kv[6] = 4;
        twoCounts.put("lfm2moe.attention.head_count_kv", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, kv)));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(twoCounts)))
                .hasMessageContaining("one count of KV heads");
        Map<String, GgufValue> allConvolve = lfm2Moe8bA1b();
        allConvolve.put("lfm2moe.attention.head_count_kv",
                GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, new long[24])));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(allConvolve)))
                .hasMessageContaining("at least one attention block");
        Map<String, GgufValue> shortArray = lfm2Moe8bA1b();
        shortArray.put("lfm2moe.attention.head_count_kv",
                GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, 0, 0, 8)));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(shortArray)))
                .hasMessageContaining("has 3 entries for block_count 24");
        Map<String, GgufValue> scalar = lfm2Moe8bA1b();
        scalar.put("lfm2moe.attention.head_count_kv", GgufValue.ofUint32(8));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(scalar)))
                .hasMessageContaining("lfm2moe needs its convolution blocks");
        Map<String, GgufValue> windowed = lfm2Moe8bA1b();
        windowed.put("lfm2moe.attention.sliding_window", GgufValue.ofUint32(512));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(windowed)))
                .hasMessageContaining("lfm2moe.attention.sliding_window");
        Map<String, GgufValue> llama = mixtral8x7b();
        llama.put("llama.attention.head_count_kv", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, 0, 8)));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(llama)))
                .hasMessageContaining("head_count_kv");
    }

    /** The keys of an AFMoE file in Trinity Mini's shape. */
    private static Map<String, GgufValue> trinityMini() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("afmoe"));
        m.put("afmoe.context_length", GgufValue.ofUint32(131072));
        m.put("afmoe.embedding_length", GgufValue.ofUint32(2048));
        m.put("afmoe.block_count", GgufValue.ofUint32(32));
        m.put("afmoe.feed_forward_length", GgufValue.ofUint32(6144));
        m.put("afmoe.expert_feed_forward_length", GgufValue.ofUint32(1024));
        m.put("afmoe.attention.head_count", GgufValue.ofUint32(32));
        m.put("afmoe.attention.head_count_kv", GgufValue.ofUint32(4));
        m.put("afmoe.attention.key_length", GgufValue.ofUint32(128));
        m.put("afmoe.attention.value_length", GgufValue.ofUint32(128));
        m.put("afmoe.attention.sliding_window", GgufValue.ofUint32(2048));
        m.put("afmoe.expert_count", GgufValue.ofUint32(128));
        m.put("afmoe.expert_used_count", GgufValue.ofUint32(8));
        m.put("afmoe.expert_shared_count", GgufValue.ofUint32(1));
        m.put("afmoe.leading_dense_block_count", GgufValue.ofUint32(2));
        m.put("afmoe.expert_weights_scale", GgufValue.ofFloat32(2.826f));
        m.put("afmoe.expert_weights_norm", GgufValue.ofBool(true));
        m.put("afmoe.expert_gating_func", GgufValue.ofUint32(2));
        m.put("afmoe.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-5f));
        m.put("afmoe.rope.freq_base", GgufValue.ofFloat32(10000f));
        m.put("afmoe.vocab_size", GgufValue.ofUint32(200192));
        return m;
    }

    @Test
    void readsAfmoeWithItsWindowsGateBranchNormsAndScaledEmbeddings() {
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(trinityMini()));
        assertThat(c.architecture()).isEqualTo(Architecture.AFMOE);
        assertThat(c.scales().embedding()).as("sqrt(2048) in float").isEqualTo((double) (float) Math.sqrt(2048));
        assertThat(java.util.stream.IntStream.range(0, 8).filter(b -> c.slidingWindow(b) > 0).boxed().toList())
                .as("three windowed blocks of every four").containsExactly(0, 1, 2, 4, 5, 6);
        assertThat(java.util.stream.IntStream.range(0, 8).filter(b -> !c.pattern().rotates(b)).boxed().toList())
                .as("the global blocks are the unrotated ones").containsExactly(3, 7);
        assertThat(c.slidingWindow()).isEqualTo(2048);
        assertThat(c.leadingDenseLayers()).isEqualTo(2);
        assertThat(c.sharedExpertFeedForwardLength()).isEqualTo(1024);
        assertThat(c.routing()).isEqualTo(new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 2.826f));
        assertThat(c.normalizeTopK()).isTrue();
        List<TensorSpec> tensors = TensorLayout.expectedTensors(c);
        assertThat(tensors).extracting(TensorSpec::name).contains("blk.0.attn_gate.weight",
                "blk.0.post_attention_norm.weight", "blk.0.post_ffw_norm.weight", "blk.0.ffn_norm.weight",
                "blk.2.exp_probs_b.bias", "blk.2.ffn_gate_shexp.weight");
        assertThat(ModelConfigReader.read(new GgufMetadata(ModelConfigWriter.metadata(c)))).isEqualTo(c);

        Map<String, GgufValue> unwindowed = trinityMini();
        unwindowed.remove("afmoe.attention.sliding_window");
        ModelConfig global = ModelConfigReader.read(new GgufMetadata(unwindowed));
        assertThat(global.windowedBlocks()).as("no window, no windowed blocks").isZero();
        assertThat(global.pattern().rotates(3)).as("the fourth block stays unrotated").isFalse();
        Map<String, GgufValue> unshared = trinityMini();
        unshared.put("afmoe.expert_shared_count", GgufValue.ofUint32(0));
        assertThat(ModelConfigReader.read(new GgufMetadata(unshared)).hasSharedExpert()).isFalse();
        Map<String, GgufValue> otherPeriod = trinityMini();
        otherPeriod.put("afmoe.attention.sliding_window_pattern", GgufValue.ofUint32(6));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(otherPeriod)))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("afmoe.attention.sliding_window_pattern");
        Map<String, GgufValue> otherBase = trinityMini();
        otherBase.put("afmoe.rope.freq_base_swa", GgufValue.ofFloat32(50000f));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(otherBase)))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("afmoe.rope.freq_base_swa");
        Map<String, GgufValue> missing = trinityMini();
        missing.remove("afmoe.expert_shared_count");
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(missing)))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("afmoe.expert_shared_count");
    }

    /** The keys of Ling-lite-1.5 as llama.cpp's converter writes them. */
    private static Map<String, GgufValue> lingLite() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("bailingmoe"));
        m.put("bailingmoe.context_length", GgufValue.ofUint32(32768));
        m.put("bailingmoe.embedding_length", GgufValue.ofUint32(2048));
        m.put("bailingmoe.block_count", GgufValue.ofUint32(28));
        m.put("bailingmoe.feed_forward_length", GgufValue.ofUint32(5632));
        m.put("bailingmoe.expert_feed_forward_length", GgufValue.ofUint32(1408));
        m.put("bailingmoe.attention.head_count", GgufValue.ofUint32(16));
        m.put("bailingmoe.attention.head_count_kv", GgufValue.ofUint32(4));
        m.put("bailingmoe.rope.dimension_count", GgufValue.ofUint32(128));
        m.put("bailingmoe.rope.freq_base", GgufValue.ofFloat32(600000f));
        m.put("bailingmoe.expert_count", GgufValue.ofUint32(64));
        m.put("bailingmoe.expert_used_count", GgufValue.ofUint32(6));
        m.put("bailingmoe.expert_shared_count", GgufValue.ofUint32(2));
        m.put("bailingmoe.leading_dense_block_count", GgufValue.ofUint32(0));
        m.put("bailingmoe.expert_weights_scale", GgufValue.ofFloat32(1f));
        m.put("bailingmoe.expert_weights_norm", GgufValue.ofBool(true));
        m.put("bailingmoe.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-6f));
        m.put("bailingmoe.vocab_size", GgufValue.ofUint32(126464));
        return m;
    }

    @Test
    void readsLing1WithSharedExpertsAndSoftmaxRoutingInEveryBlock() {
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(lingLite()));
        assertThat(c.architecture()).isEqualTo(Architecture.BAILINGMOE);
        assertThat(c.architecture().ropeLayout()).isEqualTo(Architecture.RopeLayout.NORMAL);
        assertThat(c.routedLayers()).as("every block routes, as llama.cpp runs it").isEqualTo(28);
        assertThat(c.sharedExpertFeedForwardLength()).as("two expert-wide shared experts").isEqualTo(2 * 1408);
        assertThat(c.routing()).isEqualTo(ExpertRouting.SOFTMAX);
        assertThat(c.normalizeTopK()).isTrue();
        assertThat(TensorLayout.expectedTensors(c)).extracting(TensorSpec::name).contains("blk.0.attn_q.weight",
                "blk.0.ffn_gate_exps.weight", "blk.0.ffn_gate_shexp.weight").doesNotContain("blk.0.ffn_gate.weight");
        assertThat(ModelConfigReader.read(new GgufMetadata(ModelConfigWriter.metadata(c)))).isEqualTo(c);

        Map<String, GgufValue> sigmoid = lingLite();
        sigmoid.put("bailingmoe.expert_gating_func", GgufValue.ofUint32(2));
        assertThat(ModelConfigReader.read(new GgufMetadata(sigmoid)).routing().gating())
                .as("softmax whatever the file says, as llama.cpp").isEqualTo(ExpertRouting.Gating.SOFTMAX);
        Map<String, GgufValue> unnormed = lingLite();
        unnormed.remove("bailingmoe.expert_weights_norm");
        assertThat(ModelConfigReader.read(new GgufMetadata(unnormed)).normalizeTopK()).isFalse();
        Map<String, GgufValue> narrowRope = lingLite();
        narrowRope.put("bailingmoe.rope.dimension_count", GgufValue.ofUint32(64));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(narrowRope)))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("bailingmoe.rope.dimension_count");
        for (String key : new String[] {"expert_shared_count", "expert_feed_forward_length"}) {
            Map<String, GgufValue> missing = lingLite();
            missing.remove("bailingmoe." + key);
            assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(missing))).as(key)
                    .isInstanceOf(ModelConfigException.class).hasMessageContaining("bailingmoe." + key);
        }
    }

    /** The keys of dots.llm1.inst as llama.cpp's converter writes them. */
    private static Map<String, GgufValue> dotsLlm1() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("dots1"));
        m.put("dots1.context_length", GgufValue.ofUint32(32768));
        m.put("dots1.embedding_length", GgufValue.ofUint32(4096));
        m.put("dots1.block_count", GgufValue.ofUint32(62));
        m.put("dots1.feed_forward_length", GgufValue.ofUint32(10944));
        m.put("dots1.expert_feed_forward_length", GgufValue.ofUint32(1408));
        m.put("dots1.attention.head_count", GgufValue.ofUint32(32));
        m.put("dots1.attention.head_count_kv", GgufValue.ofUint32(32));
        m.put("dots1.attention.key_length", GgufValue.ofUint32(128));
        m.put("dots1.attention.value_length", GgufValue.ofUint32(128));
        m.put("dots1.expert_count", GgufValue.ofUint32(128));
        m.put("dots1.expert_used_count", GgufValue.ofUint32(6));
        m.put("dots1.expert_shared_count", GgufValue.ofUint32(2));
        m.put("dots1.leading_dense_block_count", GgufValue.ofUint32(1));
        m.put("dots1.expert_weights_scale", GgufValue.ofFloat32(2.5f));
        m.put("dots1.expert_weights_norm", GgufValue.ofBool(true));
        m.put("dots1.expert_gating_func", GgufValue.ofUint32(2));
        m.put("dots1.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-5f));
        m.put("dots1.rope.freq_base", GgufValue.ofFloat32(10000000f));
        m.put("dots1.vocab_size", GgufValue.ofUint32(152064));
        return m;
    }

    @Test
    void readsDotsLlm1AsDeepSeekV3sMoeUnderQwen3sAttention() {
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(dotsLlm1()));
        assertThat(c.architecture()).isEqualTo(Architecture.DOTS1);
        assertThat(c.architecture().ropeLayout()).isEqualTo(Architecture.RopeLayout.NEOX);
        assertThat(c.architecture().qkNorm()).isEqualTo(Architecture.QkNorm.PER_HEAD);
        assertThat(c.leadingDenseLayers()).isEqualTo(1);
        assertThat(c.routedLayers()).isEqualTo(61);
        assertThat(c.sharedExpertFeedForwardLength()).as("two expert-wide shared experts").isEqualTo(2 * 1408);
        assertThat(c.routing()).isEqualTo(new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 2.5));
        assertThat(c.normalizeTopK()).isTrue();
        assertThat(TensorLayout.expectedTensors(c)).extracting(TensorSpec::name).contains("blk.0.attn_q_norm.weight",
                "blk.1.ffn_gate_shexp.weight").doesNotContain("blk.0.ffn_gate_inp.weight");
        assertThat(ModelConfigReader.read(new GgufMetadata(ModelConfigWriter.metadata(c)))).isEqualTo(c);
        Map<String, GgufValue> missing = dotsLlm1();
        missing.remove("dots1.leading_dense_block_count");
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(missing)))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("dots1.leading_dense_block_count");
    }

    /** The keys of ERNIE-4.5-21B-A3B as llama.cpp's converter writes them. */
    private static Map<String, GgufValue> ernie21bA3b() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("ernie4_5-moe"));
        m.put("ernie4_5-moe.context_length", GgufValue.ofUint32(131072));
        m.put("ernie4_5-moe.embedding_length", GgufValue.ofUint32(2560));
        m.put("ernie4_5-moe.block_count", GgufValue.ofUint32(28));
        m.put("ernie4_5-moe.feed_forward_length", GgufValue.ofUint32(12288));
        m.put("ernie4_5-moe.expert_feed_forward_length", GgufValue.ofUint32(1536));
        m.put("ernie4_5-moe.expert_shared_feed_forward_length", GgufValue.ofUint32(3072));
        m.put("ernie4_5-moe.interleave_moe_layer_step", GgufValue.ofUint32(1));
        m.put("ernie4_5-moe.leading_dense_block_count", GgufValue.ofUint32(1));
        m.put("ernie4_5-moe.attention.head_count", GgufValue.ofUint32(20));
        m.put("ernie4_5-moe.attention.head_count_kv", GgufValue.ofUint32(4));
        m.put("ernie4_5-moe.expert_count", GgufValue.ofUint32(64));
        m.put("ernie4_5-moe.expert_used_count", GgufValue.ofUint32(6));
        m.put("ernie4_5-moe.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-5f));
        m.put("ernie4_5-moe.rope.freq_base", GgufValue.ofFloat32(500000f));
        m.put("ernie4_5-moe.vocab_size", GgufValue.ofUint32(103424));
        return m;
    }

    @Test
    void readsErnie45MoeWithItsDenseFirstBlockSharedExpertAndRankingBias() {
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(ernie21bA3b()));
        assertThat(c.architecture()).isEqualTo(Architecture.ERNIE4_5_MOE);
        assertThat(c.architecture().ropeLayout()).isEqualTo(Architecture.RopeLayout.NORMAL);
        assertThat(c.headDimK()).isEqualTo(128);
        assertThat(c.leadingDenseLayers()).isEqualTo(1);
        assertThat(c.routedLayers()).isEqualTo(27);
        assertThat(c.isRoutedBlock(0)).isFalse();
        assertThat(c.blockOfRoutedLayer(0)).isEqualTo(1);
        assertThat(c.expertFeedForwardLength()).isEqualTo(1536);
        assertThat(c.sharedExpertFeedForwardLength()).isEqualTo(3072);
        assertThat(c.normalizeTopK()).isTrue();
        assertThat(c.routing()).isEqualTo(ExpertRouting.SOFTMAX);
        assertThat(TensorLayout.expectedTensors(c)).filteredOn(t -> t.name().equals("blk.1.exp_probs_b.bias"))
                .singleElement().satisfies(t -> assertThat(t.optional()).as("every routed block ranks with it").isFalse());
        assertThat(ModelConfigReader.read(new GgufMetadata(ModelConfigWriter.metadata(c)))).isEqualTo(c);

        Map<String, GgufValue> unshared = ernie21bA3b();
        unshared.remove("ernie4_5-moe.expert_shared_feed_forward_length");
        assertThat(ModelConfigReader.read(new GgufMetadata(unshared)).hasSharedExpert()).isFalse();
        // 300B-A47B: experts every block from the third, by llama.cpp's count (b + 1) % step
        Map<String, GgufValue> stepped = ernie21bA3b();
        stepped.put("ernie4_5-moe.interleave_moe_layer_step", GgufValue.ofUint32(2));
        stepped.put("ernie4_5-moe.leading_dense_block_count", GgufValue.ofUint32(2));
        ModelConfig s = ModelConfigReader.read(new GgufMetadata(stepped));
        assertThat(s.isRoutedBlock(1)).as("within the leading dense blocks").isFalse();
        assertThat(s.isRoutedBlock(3)).isTrue();
        assertThat(s.isRoutedBlock(4)).isFalse();
        assertThat(s.blockOfRoutedLayer(0)).isEqualTo(3);
        assertThat(s.routedLayers()).isEqualTo(13);
        for (int r = 0; r < s.routedLayers(); r++) {
            assertThat(s.routedLayerOf(s.blockOfRoutedLayer(r))).isEqualTo(r);
            assertThat(s.isRoutedBlock(s.blockOfRoutedLayer(r))).isTrue();
        }
        for (String key : new String[] {"interleave_moe_layer_step", "leading_dense_block_count",
            "expert_feed_forward_length"}) {
            Map<String, GgufValue> missing = ernie21bA3b();
            missing.remove("ernie4_5-moe." + key);
            assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(missing))).as(key)
                    .isInstanceOf(ModelConfigException.class).hasMessageContaining("ernie4_5-moe." + key);
        }
    }

    /** The keys of IBM's granite-3.0-1b-a400m-instruct as llama.cpp's converter writes them. */
    private static Map<String, GgufValue> granite1bA400m() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("granitemoe"));
        m.put("granitemoe.context_length", GgufValue.ofUint32(4096));
        m.put("granitemoe.embedding_length", GgufValue.ofUint32(1024));
        m.put("granitemoe.block_count", GgufValue.ofUint32(24));
        m.put("granitemoe.feed_forward_length", GgufValue.ofUint32(512));
        m.put("granitemoe.rope.dimension_count", GgufValue.ofUint32(64));
        m.put("granitemoe.attention.head_count", GgufValue.ofUint32(16));
        m.put("granitemoe.attention.head_count_kv", GgufValue.ofUint32(8));
        m.put("granitemoe.expert_count", GgufValue.ofUint32(32));
        m.put("granitemoe.expert_used_count", GgufValue.ofUint32(8));
        m.put("granitemoe.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-6f));
        m.put("granitemoe.rope.freq_base", GgufValue.ofFloat32(10000f));
        m.put("granitemoe.embedding_scale", GgufValue.ofFloat32(12f));
        m.put("granitemoe.residual_scale", GgufValue.ofFloat32(0.22f));
        m.put("granitemoe.attention.scale", GgufValue.ofFloat32(0.015625f));
        m.put("granitemoe.logit_scale", GgufValue.ofFloat32(6f));
        m.put("granitemoe.vocab_size", GgufValue.ofUint32(49155));
        return m;
    }

    @Test
    void readsGraniteMoeWithItsMultipliers() {
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(granite1bA400m()));
        assertThat(c.architecture()).isEqualTo(Architecture.GRANITE_MOE);
        assertThat(c.expertFeedForwardLength()).as("the expert width under feed_forward_length").isEqualTo(512);
        assertThat(c.normalizeTopK()).isTrue();
        assertThat(c.architecture().ropeLayout()).isEqualTo(Architecture.RopeLayout.NORMAL);
        assertThat(c.scales()).isEqualTo(new ScaleFactors(12f, 0.22f, 0.015625f, 6f));
        assertThat(c.attentionScale()).as("attention.scale in place of 1/sqrt(64)").isEqualTo(0.015625);
        assertThat(c.routing().weightScale()).as("the routed experts' part of the scaled branch").isEqualTo(0.22f);
        assertThat(c.routing().isPlainSoftmax()).isFalse();
        assertThat(ModelConfigReader.read(new GgufMetadata(ModelConfigWriter.metadata(c)))).isEqualTo(c);

        for (String key : new String[] {"embedding_scale", "residual_scale", "attention.scale", "logit_scale"}) {
            Map<String, GgufValue> m = granite1bA400m();
            m.remove("granitemoe." + key);
            assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(m))).as(key)
                    .isInstanceOf(ModelConfigException.class).hasMessageContaining("granitemoe." + key);
        }
        Map<String, GgufValue> shared = granite1bA400m();
        shared.put("granitemoe.expert_shared_feed_forward_length", GgufValue.ofUint32(1024));
        ModelConfig withShared = ModelConfigReader.read(new GgufMetadata(shared));
        assertThat(withShared.hasSharedExpert()).as("GraniteMoeShared").isTrue();
        assertThat(withShared.sharedExpertFeedForwardLength()).isEqualTo(1024);
        assertThat(c.hasSharedExpert()).isFalse();
        assertThat(ModelConfigReader.read(new GgufMetadata(ModelConfigWriter.metadata(withShared)))).isEqualTo(withShared);
        Map<String, GgufValue> noRope = granite1bA400m();
        noRope.put("granitemoe.rope.scaling.finetuned", GgufValue.ofBool(false));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(noRope)))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("rope.scaling.finetuned");
        Map<String, GgufValue> negative = granite1bA400m();
        negative.put("granitemoe.logit_scale", GgufValue.ofFloat32(-1f));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(negative)))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("logit_scale must be positive");
        assertThatThrownBy(() -> new ModelConfig(Architecture.LLAMA, "m", 4096, 512, 3, 8, 2, 64, 64, 1024, 0, 0, 0, 0, 0,
                true, 1e-6, 1e4, 64, RopeScaling.NONE, 1000, null, ExpertRouting.SOFTMAX, 0,
                new ScaleFactors(12, 1, 0, 1))).as("only Granite's files have them")
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("llama has no embedding");
    }

    /** The keys of DeepSeek-MoE-16B as llama.cpp's converter writes them. */
    private static Map<String, GgufValue> deepseekMoe16b() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("deepseek"));
        m.put("deepseek.context_length", GgufValue.ofUint32(4096));
        m.put("deepseek.embedding_length", GgufValue.ofUint32(2048));
        m.put("deepseek.block_count", GgufValue.ofUint32(28));
        m.put("deepseek.feed_forward_length", GgufValue.ofUint32(10944));
        m.put("deepseek.attention.head_count", GgufValue.ofUint32(16));
        m.put("deepseek.attention.head_count_kv", GgufValue.ofUint32(16));
        m.put("deepseek.rope.dimension_count", GgufValue.ofUint32(128));
        m.put("deepseek.rope.freq_base", GgufValue.ofFloat32(10000f));
        m.put("deepseek.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-6f));
        m.put("deepseek.expert_count", GgufValue.ofUint32(64));
        m.put("deepseek.expert_used_count", GgufValue.ofUint32(6));
        m.put("deepseek.expert_feed_forward_length", GgufValue.ofUint32(1408));
        m.put("deepseek.expert_shared_count", GgufValue.ofUint32(2));
        m.put("deepseek.leading_dense_block_count", GgufValue.ofUint32(1));
        m.put("deepseek.expert_weights_scale", GgufValue.ofFloat32(1f));
        return m;
    }

    @Test
    void readsDeepseekMoeWithItsDenseFirstBlockAndSharedExperts() {
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(deepseekMoe16b()));
        assertThat(c.architecture()).isEqualTo(Architecture.DEEPSEEK);
        assertThat(c.feedForwardLength()).isEqualTo(10944);
        assertThat(c.expertFeedForwardLength()).isEqualTo(1408);
        assertThat(c.sharedExpertFeedForwardLength()).isEqualTo(2 * 1408);
        assertThat(c.leadingDenseLayers()).isEqualTo(1);
        assertThat(c.routedLayers()).isEqualTo(27);
        assertThat(c.isRoutedBlock(0)).isFalse();
        assertThat(c.isRoutedBlock(1)).isTrue();
        assertThat(c.routedLayerOf(27)).isEqualTo(26);
        assertThat(c.blockOfRoutedLayer(0)).isEqualTo(1);
        assertThat(c.normalizeTopK()).isFalse();
        assertThat(c.architecture().ropeLayout()).isEqualTo(Architecture.RopeLayout.NORMAL);
    }

    @Test
    void deepseekFilesCarryEveryKeyLlamaCppRequiresOfThem() {
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(deepseekMoe16b()));
        Map<String, GgufValue> written = ModelConfigWriter.metadata(c);
        for (String key : new String[] {"deepseek.leading_dense_block_count", "deepseek.expert_feed_forward_length",
                "deepseek.expert_shared_count", "deepseek.expert_weights_scale", "deepseek.feed_forward_length"}) {
            assertThat(written).as(key).containsEntry(key, deepseekMoe16b().get(key));
        }
    }

    @Test
    void deepseekWithoutItsMoeKeysIsRefusedByName() {
        for (String key : new String[] {"deepseek.expert_shared_count", "deepseek.leading_dense_block_count",
                "deepseek.expert_feed_forward_length"}) {
            Map<String, GgufValue> m = deepseekMoe16b();
            m.remove(key);
            assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(m)))
                    .as(key).isInstanceOf(ModelConfigException.class).hasMessageContaining("'" + key + "'");
        }
    }

    @Test
    void deepseekWithNoBlockLeftToRouteIsRefused() {
        Map<String, GgufValue> m = deepseekMoe16b();
        m.put("deepseek.leading_dense_block_count", GgufValue.ofUint32(28));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(m)))
                .isInstanceOf(ModelConfigException.class)
                .hasMessageContaining("leading_dense_block_count 28 must be in 0..27");
    }

    /** The keys of DeepSeek-V2-Lite-Chat as llama.cpp's converter writes them since it caches the latent. */
    private static Map<String, GgufValue> deepseekV2Lite() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("deepseek2"));
        m.put("deepseek2.context_length", GgufValue.ofUint32(163840));
        m.put("deepseek2.embedding_length", GgufValue.ofUint32(2048));
        m.put("deepseek2.block_count", GgufValue.ofUint32(27));
        m.put("deepseek2.feed_forward_length", GgufValue.ofUint32(10944));
        m.put("deepseek2.attention.head_count", GgufValue.ofUint32(16));
        m.put("deepseek2.attention.head_count_kv", GgufValue.ofUint32(1));
        m.put("deepseek2.attention.key_length", GgufValue.ofUint32(576));
        m.put("deepseek2.attention.value_length", GgufValue.ofUint32(512));
        m.put("deepseek2.attention.key_length_mla", GgufValue.ofUint32(192));
        m.put("deepseek2.attention.value_length_mla", GgufValue.ofUint32(128));
        m.put("deepseek2.attention.kv_lora_rank", GgufValue.ofUint32(512));
        m.put("deepseek2.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-6f));
        m.put("deepseek2.rope.freq_base", GgufValue.ofFloat32(10000f));
        m.put("deepseek2.rope.dimension_count", GgufValue.ofUint32(64));
        m.put("deepseek2.rope.scaling.type", GgufValue.ofString("yarn"));
        m.put("deepseek2.rope.scaling.factor", GgufValue.ofFloat32(40f));
        m.put("deepseek2.rope.scaling.original_context_length", GgufValue.ofUint32(4096));
        // the converter's 0.1 x mscale_all_dim (0.707 in the model's config)
        m.put("deepseek2.rope.scaling.yarn_log_multiplier", GgufValue.ofFloat32(0.0707f));
        m.put("deepseek2.leading_dense_block_count", GgufValue.ofUint32(1));
        m.put("deepseek2.expert_count", GgufValue.ofUint32(64));
        m.put("deepseek2.expert_used_count", GgufValue.ofUint32(6));
        m.put("deepseek2.expert_feed_forward_length", GgufValue.ofUint32(1408));
        m.put("deepseek2.expert_shared_count", GgufValue.ofUint32(2));
        m.put("deepseek2.expert_weights_scale", GgufValue.ofFloat32(1f));
        m.put("deepseek2.expert_weights_norm", GgufValue.ofBool(false));
        m.put("deepseek2.expert_gating_func", GgufValue.ofUint32(1));
        return m;
    }

    @Test
    void readsDeepseekV2LiteAsOneLatentKeyValueHead() {
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(deepseekV2Lite()));
        assertThat(c.architecture()).isEqualTo(Architecture.DEEPSEEK2);
        assertThat(c.latentAttention()).isEqualTo(new LatentAttention(0, 512, 192, 128, 0.0707f));
        assertThat(c.latentAttention().mscaleAllDim()).isCloseTo(0.707, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(c.latentAttention().nopeLength(c.ropeDimensions())).isEqualTo(128);
        assertThat(c.kvHeadCount()).isEqualTo(1);
        assertThat(c.kvDimK()).isEqualTo(576);
        assertThat(c.kvDimV()).isEqualTo(512);
        assertThat(c.attentionOutputDim()).isEqualTo(16 * 128);
        assertThat(c.leadingDenseLayers()).isEqualTo(1);
        assertThat(c.sharedExpertFeedForwardLength()).isEqualTo(2 * 1408);
        assertThat(c.routing()).isEqualTo(ExpertRouting.SOFTMAX);
        assertThat(c.normalizeTopK()).isFalse();
        // HF's softmax_scale: 192^-0.5 x yarn_get_mscale(40, 0.707)^2, mscale = 0.1 x 0.707 x ln 40 + 1
        double mscale = 0.1 * 0.707 * Math.log(40) + 1;
        assertThat(c.attentionScale()).isCloseTo(mscale * mscale / Math.sqrt(192), org.assertj.core.data.Offset.offset(1e-6));
        // the rotation keeps attn_factor (HF: yarn_get_mscale(40, 0.707) / yarn_get_mscale(40, 0.707) = 1)
        assertThat(c.latentRopeMagnitude()).isEqualTo(1.0);
    }

    @Test
    void deepseekV2WithQueriesThroughTheirLatentReadsItsRank() {
        Map<String, GgufValue> m = deepseekV2Lite();
        m.put("deepseek2.attention.q_lora_rank", GgufValue.ofUint32(1536));
        m.put("deepseek2.expert_weights_scale", GgufValue.ofFloat32(16f));
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(m));
        assertThat(c.latentAttention().qLoraRank()).isEqualTo(1536);
        assertThat(c.latentAttention().queriesThroughLatent()).isTrue();
        assertThat(c.routing().weightScale()).isEqualTo(16.0);
    }

    @Test
    void readsDeepseekV2FilesOfTheOlderLayoutIntoTheSameCacheShape() {
        Map<String, GgufValue> m = deepseekV2Lite();
        m.remove("deepseek2.attention.key_length_mla");
        m.remove("deepseek2.attention.value_length_mla");
        m.put("deepseek2.attention.key_length", GgufValue.ofUint32(192));
        m.put("deepseek2.attention.value_length", GgufValue.ofUint32(128));
        m.put("deepseek2.attention.head_count_kv", GgufValue.ofUint32(16));
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(m));
        assertThat(c.latentAttention()).isEqualTo(new LatentAttention(0, 512, 192, 128, 0.0707f, true));
        assertThat(c.kvHeadCount()).isEqualTo(1);
        assertThat(c.kvDimK()).isEqualTo(576);
        assertThat(c.kvDimV()).isEqualTo(512);
        assertThat(ModelConfigReader.read(new GgufMetadata(ModelConfigWriter.metadata(c)))).isEqualTo(c);
        assertThat(ModelConfigWriter.metadata(c)).containsEntry("deepseek2.attention.head_count_kv", GgufValue.ofUint32(16))
                .doesNotContainKey("deepseek2.attention.key_length_mla");
    }

    /** DeepSeek-V3's routing keys on DeepSeek-V2-Lite's shape: 64 experts in 8 groups, 4 used, top-6. */
    private static Map<String, GgufValue> deepseekV3Routing() {
        Map<String, GgufValue> m = deepseekV2Lite();
        m.put("deepseek2.expert_gating_func", GgufValue.ofUint32(2));
        m.put("deepseek2.expert_group_count", GgufValue.ofUint32(8));
        m.put("deepseek2.expert_group_used_count", GgufValue.ofUint32(4));
        m.put("deepseek2.expert_weights_norm", GgufValue.ofBool(true));
        m.put("deepseek2.expert_weights_scale", GgufValue.ofFloat32(2.5f));
        return m;
    }

    @Test
    void readsDeepseekV3SigmoidGroupLimitedRouting() {
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(deepseekV3Routing()));
        assertThat(c.routing()).isEqualTo(new ExpertRouting(ExpertRouting.Gating.SIGMOID, 8, 4, 2.5));
        assertThat(c.routing().groupLimited()).isTrue();
        assertThat(c.routing().isPlainSoftmax()).isFalse();
        assertThat(c.normalizeTopK()).isTrue();
        assertThat(ModelConfigReader.read(new GgufMetadata(ModelConfigWriter.metadata(c)))).isEqualTo(c);
    }

    @Test
    void glm47FlashWithoutItsGatingFunctionRoutesBySigmoidAsLlamaCppTellsIt() {
        // GLM-4.7-Flash's early files: deepseek2 with 47 blocks and 154880 tokens, no expert_gating_func
        Map<String, GgufValue> m = deepseekV3Routing();
        m.remove("deepseek2.expert_gating_func");
        m.put("deepseek2.block_count", GgufValue.ofUint32(47));
        m.put("deepseek2.vocab_size", GgufValue.ofUint32(154880));
        assertThat(ModelConfigReader.read(new GgufMetadata(m)).routing().gating()).isEqualTo(ExpertRouting.Gating.SIGMOID);
        m.put("deepseek2.block_count", GgufValue.ofUint32(48));
        assertThat(ModelConfigReader.read(new GgufMetadata(m)).routing().gating()).isEqualTo(ExpertRouting.Gating.SIGMOID);
        // its prediction block, where the file keeps it, is counted in block_count and not run
        m.put("deepseek2.nextn_predict_layers", GgufValue.ofUint32(1));
        ModelConfig withPrediction = ModelConfigReader.read(new GgufMetadata(m));
        assertThat(withPrediction.layers()).isEqualTo(47);
        assertThat(withPrediction.routing().gating()).isEqualTo(ExpertRouting.Gating.SIGMOID);
        m.remove("deepseek2.nextn_predict_layers");
        // any other deepseek2 file that does not say routes by softmax (DeepSeek-V2 and V2.5)
        m.put("deepseek2.block_count", GgufValue.ofUint32(60));
        assertThat(ModelConfigReader.read(new GgufMetadata(m)).routing().gating()).isEqualTo(ExpertRouting.Gating.SOFTMAX);
        m.put("deepseek2.block_count", GgufValue.ofUint32(47));
        m.put("deepseek2.vocab_size", GgufValue.ofUint32(102400));
        assertThat(ModelConfigReader.read(new GgufMetadata(m)).routing().gating()).isEqualTo(ExpertRouting.Gating.SOFTMAX);
    }

    @Test
    void malformedExpertRoutingIsRefusedByName() {
        Map<String, GgufValue> unknown = deepseekV3Routing();
        unknown.put("deepseek2.expert_gating_func", GgufValue.ofUint32(3));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(unknown)))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("'deepseek2.expert_gating_func' 3");
        Map<String, GgufValue> noUsed = deepseekV3Routing();
        noUsed.remove("deepseek2.expert_group_used_count");
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(noUsed)))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("'deepseek2.expert_group_used_count'");
        Map<String, GgufValue> uneven = deepseekV3Routing();
        uneven.put("deepseek2.expert_group_count", GgufValue.ofUint32(5));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(uneven)))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("expert_group_count 5");
        Map<String, GgufValue> tooFew = deepseekV3Routing();
        tooFew.put("deepseek2.expert_group_used_count", GgufValue.ofUint32(9));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(tooFew)))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("expert_group_used_count 9");
        // as llama.cpp reads it: no scale stated leaves the weights unscaled
        Map<String, GgufValue> noScale = deepseekV2Lite();
        noScale.remove("deepseek2.expert_weights_scale");
        assertThat(ModelConfigReader.read(new GgufMetadata(noScale)).routing().weightScale()).isEqualTo(1.0);
    }

    @Test
    void deepseekV2MayLeaveOutItsDenseBlocksButNotTemperatureTuning() {
        Map<String, GgufValue> noDense = deepseekV2Lite();
        noDense.remove("deepseek2.leading_dense_block_count");
        assertThat(ModelConfigReader.read(new GgufMetadata(noDense)).leadingDenseLayers()).isZero();
        Map<String, GgufValue> tuned = deepseekV2Lite();
        tuned.put("deepseek2.attention.temperature_scale", GgufValue.ofFloat32(0.1f));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(tuned)))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("temperature_scale");
    }

    @Test
    void deepseekMoeNeverRenormalizesItsWeights() {
        Map<String, GgufValue> m = deepseekMoe16b();
        m.put("deepseek.expert_weights_norm", GgufValue.ofBool(true));
        assertThat(ModelConfigReader.read(new GgufMetadata(m)).normalizeTopK()).isFalse();
    }

    @Test
    void latentAttentionWhoseCacheShapeDisagreesWithItsRanksIsRefused() {
        Map<String, GgufValue> m = deepseekV2Lite();
        m.put("deepseek2.attention.key_length", GgufValue.ofUint32(512));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(m)))
                .isInstanceOf(ModelConfigException.class)
                .hasMessageContaining("attention.key_length 512 must be kv_lora_rank 512 + rope.dimension_count 64");
    }

    /** The keys of GLM-4.5-Air as llama.cpp's converter writes them, its prediction block counted in. */
    private static Map<String, GgufValue> glm45Air() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("glm4moe"));
        m.put("glm4moe.context_length", GgufValue.ofUint32(131072));
        m.put("glm4moe.embedding_length", GgufValue.ofUint32(4096));
        m.put("glm4moe.block_count", GgufValue.ofUint32(47));
        m.put("glm4moe.nextn_predict_layers", GgufValue.ofUint32(1));
        m.put("glm4moe.feed_forward_length", GgufValue.ofUint32(10944));
        m.put("glm4moe.attention.head_count", GgufValue.ofUint32(96));
        m.put("glm4moe.attention.head_count_kv", GgufValue.ofUint32(8));
        m.put("glm4moe.attention.key_length", GgufValue.ofUint32(128));
        m.put("glm4moe.attention.value_length", GgufValue.ofUint32(128));
        m.put("glm4moe.rope.dimension_count", GgufValue.ofUint32(64));
        m.put("glm4moe.rope.freq_base", GgufValue.ofFloat32(1e6f));
        m.put("glm4moe.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-5f));
        m.put("glm4moe.expert_count", GgufValue.ofUint32(128));
        m.put("glm4moe.expert_used_count", GgufValue.ofUint32(8));
        m.put("glm4moe.expert_shared_count", GgufValue.ofUint32(1));
        m.put("glm4moe.expert_feed_forward_length", GgufValue.ofUint32(1408));
        m.put("glm4moe.leading_dense_block_count", GgufValue.ofUint32(1));
        m.put("glm4moe.expert_weights_scale", GgufValue.ofFloat32(1f));
        m.put("glm4moe.expert_weights_norm", GgufValue.ofBool(true));
        m.put("glm4moe.expert_gating_func", GgufValue.ofUint32(2));
        return m;
    }

    @Test
    void readsGlm45AirWithoutItsPredictionBlock() {
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(glm45Air()));
        assertThat(c.architecture()).isEqualTo(Architecture.GLM4MOE);
        assertThat(c.layers()).as("47 blocks less the prediction block").isEqualTo(46);
        assertThat(c.routedLayers()).isEqualTo(45);
        assertThat(c.ropeDimensions()).isEqualTo(64);
        assertThat(c.architecture().ropeLayout()).isEqualTo(Architecture.RopeLayout.NEOX);
        assertThat(c.sharedExpertFeedForwardLength()).isEqualTo(1408);
        assertThat(c.routing()).isEqualTo(new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 1.0));
        assertThat(c.normalizeTopK()).isTrue();
    }

    @Test
    void glm45DefaultsToSigmoidRoutingAndMayHaveNoSharedExpert() {
        Map<String, GgufValue> m = glm45Air();
        m.remove("glm4moe.expert_gating_func");
        m.remove("glm4moe.expert_shared_count");
        m.remove("glm4moe.expert_weights_scale");
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(m));
        assertThat(c.routing().gating()).isEqualTo(ExpertRouting.Gating.SIGMOID);
        assertThat(c.routing().weightScale()).isEqualTo(1.0);
        assertThat(c.hasSharedExpert()).isFalse();
    }

    @Test
    void glm45FilesItCannotRunAreRefusedByName() {
        Map<String, GgufValue> allPrediction = glm45Air();
        allPrediction.put("glm4moe.nextn_predict_layers", GgufValue.ofUint32(47));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(allPrediction)))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("nextn_predict_layers 47");
    }

    @Test
    void readsGlm45VsLanguageModelWithConsecutiveSectionsThatTurnEveryPairForText() {
        Map<String, GgufValue> vision = glm45Air();
        vision.put("glm4moe.rope.dimension_sections", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, 8, 12, 12, 0)));
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(vision));
        assertThat(c.ropeSections()).isEqualTo(RopeSections.consecutive(8, 12, 12, 0));
        assertThat(java.util.stream.IntStream.range(0, c.ropeDimensions() / 2).filter(c.ropeSections()::stillForText))
                .as("time, height and width cover all 32 rotating pairs").isEmpty();
        assertThat(ModelConfigReader.read(new GgufMetadata(ModelConfigWriter.metadata(c)))).isEqualTo(c);
        assertThat(RopeSections.consecutive(2, 1, 1, 2).stillForText(4)).as("the extra run").isTrue();
        assertThat(RopeSections.consecutive(2, 1, 1, 2).stillForText(3)).as("the width run").isFalse();
        assertThat(RopeSections.consecutive(2, 1, 1, 2).stillForText(6)).as("the next cycle's time run").isFalse();

        Map<String, GgufValue> plain = glm45Air();
        assertThat(ModelConfigReader.read(new GgufMetadata(plain)).ropeSections()).isEqualTo(RopeSections.NONE);
        assertThatThrownBy(() -> c.withRopeSections(RopeSections.interleaved(8, 12, 12, 0)))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("not interleaved");
        ModelConfig mixtral = ModelConfigReader.read(new GgufMetadata(mixtral8x7b()));
        assertThatThrownBy(() -> mixtral.withRopeSections(RopeSections.consecutive(8, 12, 12, 0)))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("no multimodal rotary sections");
    }

    @Test
    void writerRecordsNonDefaultTopKNormalisation() {
        ModelConfig c = new ModelConfig(Architecture.OLMOE, "m", 4096, 512, 2, 8, 8, 64, 64, 256, 8, 2, 256, 0, 0,
                true, 1e-5f, 1e4, 64, RopeScaling.NONE, 100);
        assertThat(ModelConfigReader.read(new GgufMetadata(ModelConfigWriter.metadata(c))).normalizeTopK()).isTrue();
    }

    /** The keys of gpt-oss-20b as llama.cpp's converter writes them. */
    private static Map<String, GgufValue> gptOss20b() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("gpt-oss"));
        m.put("gpt-oss.context_length", GgufValue.ofUint32(131072));
        m.put("gpt-oss.embedding_length", GgufValue.ofUint32(2880));
        m.put("gpt-oss.block_count", GgufValue.ofUint32(24));
        m.put("gpt-oss.feed_forward_length", GgufValue.ofUint32(2880));
        m.put("gpt-oss.attention.head_count", GgufValue.ofUint32(64));
        m.put("gpt-oss.attention.head_count_kv", GgufValue.ofUint32(8));
        m.put("gpt-oss.attention.key_length", GgufValue.ofUint32(64));
        m.put("gpt-oss.attention.value_length", GgufValue.ofUint32(64));
        m.put("gpt-oss.rope.freq_base", GgufValue.ofFloat32(150000f));
        m.put("gpt-oss.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-5f));
        m.put("gpt-oss.attention.sliding_window", GgufValue.ofUint32(128));
        m.put("gpt-oss.expert_count", GgufValue.ofUint32(32));
        m.put("gpt-oss.expert_used_count", GgufValue.ofUint32(4));
        m.put("gpt-oss.expert_feed_forward_length", GgufValue.ofUint32(2880));
        m.put("gpt-oss.rope.scaling.type", GgufValue.ofString("yarn"));
        m.put("gpt-oss.rope.scaling.factor", GgufValue.ofFloat32(32f));
        m.put("gpt-oss.rope.scaling.original_context_length", GgufValue.ofUint32(4096));
        return m;
    }

    @Test
    void readsGptOss20bWithHeadsWiderThanTheModelAndEveryOtherBlockWindowed() {
        ModelConfig c = ModelConfigReader.read(new GgufMetadata(gptOss20b()));
        assertThat(c.architecture()).isEqualTo(Architecture.GPT_OSS);
        assertThat(c.qDim()).as("64 heads of 64 from a width of 2880").isEqualTo(4096);
        assertThat(c.attentionOutputDim()).isEqualTo(4096);
        assertThat(c.ropeDimensions()).isEqualTo(64);
        assertThat(c.ropeScaling()).isEqualTo(new RopeScaling(RopeScaling.Type.YARN, 32, 4096));
        assertThat(c.slidingWindow(0)).isEqualTo(128);
        assertThat(c.slidingWindow(1)).isZero();
        assertThat(c.slidingWindow(22)).isEqualTo(128);
        assertThat(c.slidingWindow(23)).isZero();
        assertThat(c.routedLayers()).isEqualTo(24);
        assertThat(c.routing()).isEqualTo(ExpertRouting.SOFTMAX);
        assertThat(c.normalizeTopK()).as("a softmax over the chosen experts' logits").isTrue();
        assertThat(c.attentionScale()).isEqualTo(1 / Math.sqrt(64));
    }

    @Test
    void gptOssAlwaysRenormalizesAndNeedsItsWindow() {
        Map<String, GgufValue> m = gptOss20b();
        m.put("gpt-oss.expert_weights_norm", GgufValue.ofBool(false));
        assertThat(ModelConfigReader.read(new GgufMetadata(m)).normalizeTopK()).isTrue();
        m.remove("gpt-oss.attention.sliding_window");
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(m)))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("gpt-oss.attention.sliding_window");
        Map<String, GgufValue> zero = gptOss20b();
        zero.put("gpt-oss.attention.sliding_window", GgufValue.ofUint32(0));
        assertThatThrownBy(() -> ModelConfigReader.read(new GgufMetadata(zero)))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("sliding_window");
    }

    @Test
    void onlyWindowedFamiliesTakeAWindow() {
        assertThatThrownBy(() -> new ModelConfig(Architecture.QWEN3MOE, "m", 4096, 512, 2, 8, 2, 64, 64, 1024, 8, 2,
                256, 0, 0, true, 1e-6, 1e6, 64, RopeScaling.NONE, 100, null, ExpertRouting.SOFTMAX, 128))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("qwen3moe has no sliding-window blocks");
    }
}
