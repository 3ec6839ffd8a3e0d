package dev.switchyard.engine.model;

import dev.switchyard.engine.gguf.GgufArray;
import dev.switchyard.engine.gguf.GgufValue;
import dev.switchyard.engine.gguf.GgufValueType;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The inverse of {@link ModelConfigReader}: the metadata keys llama.cpp reads for a configuration.
 * Keys are written only where the reader (and llama.cpp) would not derive the same value by itself.
 */
public final class ModelConfigWriter {

    private ModelConfigWriter() {
    }

    public static Map<String, GgufValue> metadata(ModelConfig c) {
        Architecture arch = c.architecture();
        String p = arch.ggufName() + ".";
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString(arch.ggufName()));
        m.put("general.name", GgufValue.ofString(c.name()));
        m.put(p + "context_length", GgufValue.ofUint32(c.contextLength()));
        m.put(p + "embedding_length", GgufValue.ofUint32(c.dim()));
        m.put(p + "block_count", GgufValue.ofUint32(c.layers()));
        int ffn = c.isMoe() && !arch.hasSeparateExpertWidth() ? c.expertFeedForwardLength() : c.feedForwardLength();
        if (c.convolution().separatesFeedForward()) {
            // Nemotron-H: a width per block, 0 where the block runs no FFN
            long[] widths = new long[c.layers()];
            for (int b = 0; b < c.layers(); b++) {
                widths[b] = c.feedsForward(b) ? ffn : 0;
            }
            m.put(p + "feed_forward_length", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, widths)));
        } else {
            m.put(p + "feed_forward_length", GgufValue.ofUint32(ffn));
        }
        m.put(p + "attention.head_count", GgufValue.ofUint32(c.headCount()));
        LatentAttention latent = c.latentAttention();
        boolean joined = latent != null && latent.joinedDecompression();
        // the older latent layout states the attention as multi-head: its heads' lengths, a KV head per head
        if (c.convolution().deltaNet() != null && c.convolution().deltaNet().channelGates()) {
            // Kimi-Linear: a count per block, 0 where the block runs delta attention, as its converter writes them
            m.put(p + "attention.head_count_kv", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.UINT32,
                    kvHeadsPerBlock(c))));
            m.put(p + "ssm.conv_kernel", GgufValue.ofUint32(c.convolution().length()));
            m.put(p + "kda.head_dim", GgufValue.ofUint32(c.convolution().deltaNet().stateSize()));
        } else if (c.convolution().deltaNet() != null) {
            DeltaNet net = c.convolution().deltaNet();
            m.put(p + "attention.head_count_kv", GgufValue.ofUint32(c.kvHeadCount()));
            boolean[] recurrent = new boolean[c.layers()];
            boolean everyFourth = true;
            for (int b = 0; b < recurrent.length; b++) {
                recurrent[b] = c.isConvolutionBlock(b);
                everyFourth &= recurrent[b] == ((b + 1) % 4 != 0);
            }
            if (everyFourth) {
                m.put(p + "full_attention_interval", GgufValue.ofUint32(4));
            } else {
                m.put(p + "attention.recurrent_layers", GgufValue.ofArray(new GgufArray(GgufValueType.BOOL, recurrent)));
            }
            m.put(p + "ssm.conv_kernel", GgufValue.ofUint32(c.convolution().length()));
            m.put(p + "ssm.state_size", GgufValue.ofUint32(net.stateSize()));
            m.put(p + "ssm.group_count", GgufValue.ofUint32(net.keyHeads()));
            m.put(p + "ssm.time_step_rank", GgufValue.ofUint32(net.valueHeads()));
            m.put(p + "ssm.inner_size", GgufValue.ofUint32(net.valueWidth()));
        } else if (c.convolution().present()) {
            // LFM2, Granite 4.0-H: a count per block, 0 where the block convolves
            m.put(p + "attention.head_count_kv", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32,
                    kvHeadsPerBlock(c))));
            Mamba2 scan = c.convolution().mamba2();
            if (scan != null) {
                m.put(p + "ssm.conv_kernel", GgufValue.ofUint32(c.convolution().length()));
                m.put(p + "ssm.state_size", GgufValue.ofUint32(scan.stateSize()));
                m.put(p + "ssm.group_count", GgufValue.ofUint32(scan.groups()));
                m.put(p + "ssm.time_step_rank", GgufValue.ofUint32(scan.heads()));
                m.put(p + "ssm.inner_size", GgufValue.ofUint32(scan.innerWidth()));
                if (!arch.separatesFeedForward()) {
                    // as Granite 4.0-H's converter writes it: its attention blocks have no rotary positions
                    m.put(p + "rope.scaling.finetuned", GgufValue.ofBool(!c.pattern().equals(LayerPattern.UNROTATED)));
                }
            } else {
                m.put(p + "shortconv.l_cache", GgufValue.ofUint32(c.convolution().length()));
            }
        } else if (arch.listsWindowedBlocks()) {
            // MiMo-V2: a count per block, and which blocks are windowed, a flag per block, as its converter writes them
            long[] windowed = new long[c.layers()];
            for (int b = 0; b < c.layers(); b++) {
                windowed[b] = c.slidingWindow(b) > 0 ? 1 : 0;
            }
            m.put(p + "attention.head_count_kv", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32,
                    kvHeadsPerBlock(c))));
            m.put(p + "attention.sliding_window_pattern", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, windowed)));
            if (c.windows().stated()) {
                m.put(p + "rope.freq_base_swa", GgufValue.ofFloat32((float) c.windows().ropeBase()));
            }
            if (c.valueScale() != 1.0) {
                m.put(p + "attention.value_scale", GgufValue.ofFloat32((float) c.valueScale()));
            }
        } else {
            m.put(p + "attention.head_count_kv", GgufValue.ofUint32(joined ? c.headCount() : c.kvHeadCount()));
        }
        if (joined) {
            m.put(p + "attention.key_length", GgufValue.ofUint32(latent.keyLength()));
            m.put(p + "attention.value_length", GgufValue.ofUint32(latent.valueLength()));
        } else if (c.headDimK() * c.headCount() != c.dim() || c.headDimV() != c.headDimK()) {
            m.put(p + "attention.key_length", GgufValue.ofUint32(c.headDimK()));
            if (!arch.hasDeltaAttentionBlocks()) { // Kimi-Linear's converter leaves it out
                m.put(p + "attention.value_length", GgufValue.ofUint32(c.headDimV()));
            }
        }
        m.put(p + "attention.layer_norm_rms_epsilon", GgufValue.ofFloat32((float) c.rmsEps()));
        m.put(p + "rope.freq_base", GgufValue.ofFloat32((float) c.ropeFreqBase()));
        m.put(p + "rope.dimension_count", GgufValue.ofUint32(c.ropeDimensions()));
        if (c.ropeScaling().type() != RopeScaling.Type.NONE) {
            m.put(p + "rope.scaling.type", GgufValue.ofString(c.ropeScaling().type().name().toLowerCase(java.util.Locale.ROOT)));
            m.put(p + "rope.scaling.factor", GgufValue.ofFloat32((float) c.ropeScaling().factor()));
            m.put(p + "rope.scaling.original_context_length", GgufValue.ofUint32(c.ropeScaling().originalContextLength()));
            if (c.ropeScaling().attnFactor() != 1.0) {
                m.put(p + "rope.scaling.attn_factor", GgufValue.ofFloat32((float) c.ropeScaling().attnFactor()));
            }
        }
        if (c.isMoe()) {
            m.put(p + "expert_count", GgufValue.ofUint32(c.expertCount()));
            m.put(p + "expert_used_count", GgufValue.ofUint32(c.expertUsedCount()));
            if (arch.hasSeparateExpertWidth()) {
                m.put(p + "expert_feed_forward_length", GgufValue.ofUint32(c.expertFeedForwardLength()));
            }
            switch (arch.sharedExpert()) {
                case SIGMOID_GATED -> m.put(p + "expert_shared_feed_forward_length",
                        GgufValue.ofUint32(c.sharedExpertFeedForwardLength()));
                case UNGATED -> {
                    if (arch == Architecture.BAILINGMOE2) {
                        // one shared expert of the whole width reads back as the same width
                        m.put(p + "expert_shared_count", GgufValue.ofUint32(1));
                        m.put(p + "expert_shared_feed_forward_length", GgufValue.ofUint32(c.sharedExpertFeedForwardLength()));
                    } else if (!arch.statesSharedExpertWidth()) {
                        m.put(p + "expert_shared_count",
                                GgufValue.ofUint32(c.sharedExpertFeedForwardLength() / c.expertFeedForwardLength()));
                    } else if (c.sharedExpertFeedForwardLength() > 0) {
                        m.put(p + "expert_shared_feed_forward_length", GgufValue.ofUint32(c.sharedExpertFeedForwardLength()));
                    }
                }
                case NONE -> { }
            }
            if (arch.hasLeadingDenseLayers()) {
                m.put(p + "leading_dense_block_count", GgufValue.ofUint32(c.leadingDenseLayers()));
                // llama.cpp insists on the key for DeepSeek-MoE, whose forward pass leaves the routed
                // weights unscaled whatever it says (1, as the released models state); the others use it
                m.put(p + "expert_weights_scale", GgufValue.ofFloat32((float) c.routing().weightScale()));
            }
            if (arch.statesRouting()) {
                m.put(p + "expert_gating_func", GgufValue.ofUint32(c.routing().gating().ggufCode()));
                if (!arch.hasLeadingDenseLayers() && c.routing().weightScale() != 1.0) {
                    m.put(p + "expert_weights_scale", GgufValue.ofFloat32((float) c.routing().weightScale()));
                }
                if (c.routing().groupCount() > 1) {
                    m.put(p + "expert_group_count", GgufValue.ofUint32(c.routing().groupCount()));
                    m.put(p + "expert_group_used_count", GgufValue.ofUint32(c.routing().groupsUsed()));
                }
            }
            if (arch == Architecture.NEMOTRON_H_MOE) {
                if (c.expertLatentWidth() > 0) {
                    m.put(p + "moe_latent_size", GgufValue.ofUint32(c.expertLatentWidth()));
                }
                m.put(p + "expert_weights_scale", GgufValue.ofFloat32((float) c.routing().weightScale()));
                if (c.routing().groupCount() > 1) {
                    m.put(p + "expert_group_count", GgufValue.ofUint32(c.routing().groupCount()));
                    m.put(p + "expert_group_used_count", GgufValue.ofUint32(c.routing().groupsUsed()));
                }
            }
            if (c.normalizeTopK() != arch.normalizeTopKByDefault()) {
                m.put(p + "expert_weights_norm", GgufValue.ofBool(c.normalizeTopK()));
            }
        }
        if (latent != null) {
            if (latent.queriesThroughLatent()) {
                m.put(p + "attention.q_lora_rank", GgufValue.ofUint32(latent.qLoraRank()));
            }
            m.put(p + "attention.kv_lora_rank", GgufValue.ofUint32(latent.kvLoraRank()));
            if (!joined) {
                m.put(p + "attention.key_length_mla", GgufValue.ofUint32(latent.keyLength()));
                m.put(p + "attention.value_length_mla", GgufValue.ofUint32(latent.valueLength()));
            }
            if (latent.yarnLogMultiplier() != 0) {
                m.put(p + "rope.scaling.yarn_log_multiplier", GgufValue.ofFloat32((float) latent.yarnLogMultiplier()));
            }
        }
        if (arch.slidesWindows()) {
            m.put(p + "attention.sliding_window", GgufValue.ofUint32(c.slidingWindow()));
        }
        if (arch == Architecture.EXAONE_MOE) {
            // which blocks are windowed, a flag per block, as K-EXAONE's converter writes them
            boolean[] windowed = new boolean[c.layers()];
            for (int b = 0; b < windowed.length; b++) {
                windowed[b] = c.slidingWindow(b) > 0;
            }
            m.put(p + "attention.sliding_window_pattern", GgufValue.ofArray(new GgufArray(GgufValueType.BOOL, windowed)));
        } else if (arch.hasLayerPattern() && arch != Architecture.AFMOE) { // AFMoE's pattern is fixed
            m.put(p + "interleave_moe_layer_step", GgufValue.ofUint32(c.pattern().moeStep()));
            if (arch == Architecture.LLAMA4 && c.pattern().unrotatedStep() == 0) {
                m.put(p + "attention.sliding_window", GgufValue.ofUint32(0)); // every block rotated
            }
        }
        if (c.ropeSections().present()) {
            RopeSections r = c.ropeSections();
            m.put(p + "rope.dimension_sections", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32,
                    r.time(), r.height(), r.width(), r.extra())));
        }
        if (arch.statesScaleFactors() || arch.mayStateScaleFactors()) {
            ScaleFactors f = c.scales();
            m.put(p + "embedding_scale", GgufValue.ofFloat32((float) f.embedding()));
            m.put(p + "residual_scale", GgufValue.ofFloat32((float) f.residual()));
            m.put(p + "attention.scale", GgufValue.ofFloat32((float) f.attention()));
            m.put(p + "logit_scale", GgufValue.ofFloat32((float) f.logit()));
        }
        if (c.vocabSize() > 0) {
            m.put(p + "vocab_size", GgufValue.ofUint32(c.vocabSize()));
        }
        return m;
    }

    /** Each block's KV heads, as the families that count them block by block write them: 0 where it does not attend. */
    private static long[] kvHeadsPerBlock(ModelConfig c) {
        long[] counts = new long[c.layers()];
        for (int b = 0; b < c.layers(); b++) {
            counts[b] = c.attends(b) ? c.kvHeadCount(b) : 0;
        }
        return counts;
    }
}
