package dev.switchyard.engine.model;

import dev.switchyard.engine.gguf.GgufArray;
import dev.switchyard.engine.gguf.GgufMetadata;
import dev.switchyard.engine.gguf.MetadataException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * Reads a {@link ModelConfig} from GGUF metadata, using the keys and defaults llama.cpp uses
 * ({@code <arch>.block_count}, {@code <arch>.attention.head_count}, ...). Nothing is taken from
 * constants: where a key is optional, the default is the one the format documents.
 */
public final class ModelConfigReader {

    private ModelConfigReader() {
    }

    public static ModelConfig read(GgufMetadata md) {
        try {
            return readUnchecked(md);
        } catch (MetadataException e) {
            throw new ModelConfigException(e.getMessage(), e);
        }
    }

    private static ModelConfig readUnchecked(GgufMetadata md) {
        String archName = md.optString("general.architecture")
                .orElseThrow(() -> new ModelConfigException("metadata key 'general.architecture' is missing"));
        Architecture arch = Architecture.fromGgufName(archName);
        String p = archName + ".";

        int dim = md.requireInt(p + "embedding_length", 1);
        int layers = md.requireInt(p + "block_count", 1);
        int allBlocks = layers; // prediction blocks included, as per-block arrays count them
        if (arch.hasPredictionBlocks()) {
            // GLM-4.5, Ling 2.0 and DeepSeek-V3-style files count their prediction block(s) in block_count; only the others run
            int prediction = md.optInt(p + "nextn_predict_layers", 0, 0);
            if (prediction >= layers) {
                throw new ModelConfigException("nextn_predict_layers " + prediction + " leaves none of block_count "
                        + layers + " to run");
            }
            layers -= prediction;
        }
        int heads = md.requireInt(p + "attention.head_count", 1);
        // LFM2 and Granite 4.0-H count KV heads block by block, 0 where a block convolves or scans
        int[] kvPerBlock = arch.countsKvHeadsPerBlock() ? kvHeadsPerBlock(md, p + "attention.head_count_kv") : null;
        // Nemotron-H counts its FFN widths block by block too, 0 where a block runs no FFN
        int[] ffnPerBlock = arch.separatesFeedForward() ? intsPerBlock(md, p + "feed_forward_length") : null;
        ConvolutionBlocks convolution = kvPerBlock != null ? (arch.hasMamba2Blocks()
                ? mamba2Blocks(md, p, layers, kvPerBlock, ffnPerBlock)
                : arch.hasDeltaAttentionBlocks() ? deltaAttentionBlocks(md, p, layers, kvPerBlock, heads)
                : convolutionBlocks(md, p, layers, kvPerBlock))
                : arch.hasDeltaNetBlocks() ? deltaNetBlocks(md, p, layers, arch) : ConvolutionBlocks.NONE;
        int[] listedKv = arch.listsWindowedBlocks() ? kvPerListedBlock(md, p, allBlocks) : null;
        WindowLayout windows = listedKv != null ? listedWindows(md, p, layers, allBlocks, listedKv) : WindowLayout.NONE;
        int kvHeads = kvPerBlock != null && convolution.present() ? attentionKvHeads(kvPerBlock, p + "attention.head_count_kv")
                : listedKv != null ? fullKvHeads(p, layers, listedKv, windows)
                : md.optInt(p + "attention.head_count_kv", 1, heads);
        int headDimK = md.optInt(p + "attention.key_length", 1, heads > 0 && dim % heads == 0 ? dim / heads : 0);
        int headDimV = md.optInt(p + "attention.value_length", 1, headDimK);
        if (headDimK == 0) {
            throw new ModelConfigException("embedding_length " + dim + " is not a multiple of head_count " + heads
                    + " and '" + p + "attention.key_length' is missing");
        }
        int context = md.requireInt(p + "context_length", 1);
        int experts = md.optInt(p + "expert_count", 0, 0);
        int expertsUsed = md.optInt(p + "expert_used_count", 0, 0);
        int ffn = ffnPerBlock != null ? feedForwardWidth(ffnPerBlock, p + "feed_forward_length")
                : md.optInt(p + "feed_forward_length", 0, 0);
        if (experts == 0 && ffn == 0) {
            throw new ModelConfigException("metadata key '" + p + "feed_forward_length' is missing");
        }
        int expertFfn = 0;
        int sharedFfn = 0;
        int leadingDense = 0;
        if (experts > 0) {
            OptionalLong explicit = md.optLong(p + "expert_feed_forward_length");
            if (explicit.isPresent()) {
                expertFfn = md.requireInt(p + "expert_feed_forward_length", 1);
            } else if (arch.requiresExpertWidth()) {
                throw new ModelConfigException("metadata key '" + p + "expert_feed_forward_length' is missing");
            } else if (arch == Architecture.QWEN2MOE || arch == Architecture.QWEN3MOE || arch == Architecture.QWEN3VLMOE
                    || arch.hasDeltaNetBlocks()) {
                // llama.cpp's fallback for these families: the dense width split over the active experts.
                if (ffn == 0 || expertsUsed == 0) {
                    throw new ModelConfigException("metadata key '" + p + "expert_feed_forward_length' is missing");
                }
                expertFfn = ffn / expertsUsed;
            } else {
                // Mixtral and OLMoE store the expert width under feed_forward_length.
                if (ffn == 0) {
                    throw new ModelConfigException("metadata key '" + p + "feed_forward_length' is missing");
                }
                expertFfn = ffn;
            }
            switch (arch.sharedExpert()) {
                case SIGMOID_GATED -> sharedFfn = md.optInt(p + "expert_shared_feed_forward_length", 1, ffn);
                // DeepSeek-MoE states how many expert-wide shared experts there are; they run as one FFN
                // GLM-4.5's files may have none
                // Llama 4: one shared expert, an expert wide; Granite's where it states the width;
                // Hunyuan's of the dense width unless it states its own, as llama.cpp reads it
                case UNGATED -> sharedFfn = arch == Architecture.LLAMA4 ? expertFfn
                        : arch == Architecture.HUNYUAN_MOE ? md.optInt(p + "expert_shared_feed_forward_length", 1, ffn)
                        // Ling 2.0: a required count of shared experts, each of the stated width or an expert's
                        : arch == Architecture.BAILINGMOE2 ? sharedExpertsWidth(md.requireInt(p + "expert_shared_count", 1),
                                md.optInt(p + "expert_shared_feed_forward_length", 1, expertFfn), p)
                        : arch.statesSharedExpertWidth() ? md.optInt(p + "expert_shared_feed_forward_length", 0, 0)
                        // AFMoE's count is required but may be 0
                        : sharedExpertsWidth(arch.hasOptionalParts()
                        ? md.optInt(p + "expert_shared_count", 0, 0)
                        : md.requireInt(p + "expert_shared_count", arch == Architecture.AFMOE ? 0 : 1), expertFfn, p);
                case NONE -> { }
            }
            if (arch.hasLeadingDenseLayers()) {
                // llama.cpp requires it of DeepSeek-MoE only
                // MiMo-V2's converter writes none: llama.cpp finds its one dense block by its tensors
                leadingDense = arch == Architecture.DEEPSEEK || arch == Architecture.ERNIE4_5_MOE || arch == Architecture.DOTS1
                        ? md.requireInt(p + "leading_dense_block_count", 0)
                        : md.optInt(p + "leading_dense_block_count", 0, arch == Architecture.MIMO2 ? 1 : 0);
            }
        }
        // some families renormalize, or leave as they are, whatever the file says, as llama.cpp runs them
        boolean normTopK = arch.alwaysNormalizesTopK() || !arch.neverNormalizesTopK()
                && md.optBool(p + "expert_weights_norm").orElse(arch.normalizeTopKByDefault());
        double eps = md.requireDouble(p + "attention.layer_norm_rms_epsilon");
        double ropeBase = md.optDouble(p + "rope.freq_base").orElse(10000.0);
        int ropeDims = md.optInt(p + "rope.dimension_count", 0, headDimK);
        RopeScaling scaling = ropeScaling(md, p);
        int vocab = md.optInt(p + "vocab_size", 1, 0);
        if (vocab == 0 && md.contains("tokenizer.ggml.tokens")) {
            vocab = md.requireArray("tokenizer.ggml.tokens").length();
        }
        String name = md.optString("general.name").orElse(archName);
        LatentAttention latent = null;
        if (arch.latentAttention()) {
            // attention temperature tuning (files of other models under this family's name)
            if (md.optDouble(p + "attention.temperature_scale").orElse(0) != 0) {
                throw new ModelConfigException("'" + p + "attention.temperature_scale' (attention temperature tuning) "
                        + "is not supported");
            }
            latent = latentAttention(md, p, headDimK, md.contains(p + "attention.value_length") ? headDimV : -1, ropeDims);
            // the cache holds one head: the latent with the shared rotary key, and the latent
            headDimK = latent.kvLoraRank() + ropeDims;
            headDimV = latent.kvLoraRank();
            kvHeads = 1;
        }
        if (arch == Architecture.BAILINGMOE && ropeDims != headDimK) {
            // llama.cpp sizes Ling 1's heads by rope.dimension_count and rotates them whole
            throw new ModelConfigException("'" + p + "rope.dimension_count' " + ropeDims + " must be the head width "
                    + headDimK + " in a bailingmoe file");
        }
        ScaleFactors scales = arch.statesScaleFactors() ? scaleFactors(md, p)
                : arch.mayStateScaleFactors() ? optionalScaleFactors(md, p)
                : arch.scalesEmbeddingsByWidth() ? ScaleFactors.widthScaledEmbeddings(dim) : ScaleFactors.NONE;
        LayerPattern pattern = LayerPattern.UNIFORM;
        if (arch.separatesFeedForward() || arch.hasDeltaAttentionBlocks()
                || arch.hasMamba2Blocks() && !md.optBool(p + "rope.scaling.finetuned").orElse(true)) {
            // Granite 4.0-H's converter says so of its attention blocks, which llama.cpp then leaves
            // without rotary positions; Nemotron-H's and Kimi-Linear's never have them
            pattern = LayerPattern.UNROTATED;
        } else if (arch == Architecture.LLAMA4) {
            pattern = llama4Pattern(md, p, experts);
        } else if (arch == Architecture.AFMOE || arch == Architecture.EXAONE_MOE) {
            pattern = globalEveryFourth(md, p, arch, layers);
        } else if (arch.hasLayerPattern()) {
            // ERNIE 4.5: experts every interleave_moe_layer_step-th block, which llama.cpp requires
            pattern = new LayerPattern(md.requireInt(p + "interleave_moe_layer_step", 1), 0, false, 0, 0, 0);
        }
        ExpertRouting routing = experts > 0 && arch == Architecture.NEMOTRON_H_MOE ? nemotronRouting(md, p)
                // MiMo-V2: each expert's sigmoid, whatever the file says of its gating, weights unscaled
                : experts > 0 && arch == Architecture.MIMO2 ? new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 1.0)
                : experts > 0 && arch == Architecture.LLAMA4
                // Llama 4: each expert's sigmoid, the best k, weights as they are
                ? new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 1.0)
                : experts > 0 && arch.statesRouting() ? statedRouting(md, p, arch, layers, vocab)
                // Granite's routed experts join the FFN branch that the residual scale multiplies
                : experts > 0 && scales.scalesResiduals()
                ? new ExpertRouting(ExpertRouting.Gating.SOFTMAX, 1, 1, scales.residual()) : ExpertRouting.SOFTMAX;
        // Qwen3-VL's interleaved sections are required; GLM-4.5V states consecutive ones in a glm4moe file
        boolean sectioned = arch.hasRopeSections()
                || arch.mayStateRopeSections() && md.contains(p + "rope.dimension_sections");
        RopeSections sections = sectioned ? ropeSections(md, p, arch.hasRopeSections()) : RopeSections.NONE;
        // llama.cpp requires the window of gpt-oss; an AFMoE file without one has no windowed blocks
        int window = !arch.slidesWindows() ? 0 : arch.mayLeaveWindowsOut()
                ? md.optInt(p + "attention.sliding_window", 0, 0) : md.requireInt(p + "attention.sliding_window", 1);
        if (arch.listsWindowedBlocks() && !windows.stated()) {
            window = 0; // a MiMo-V2 file whose pattern windows no block
        }
        if (arch.hasConvolutionBlocks() && md.contains(p + "attention.sliding_window")) {
            // llama.cpp's LFM2 variant whose attention blocks slide a window
            throw new ModelConfigException("'" + p + "attention.sliding_window' (LFM2 with windowed attention blocks) "
                    + "is not supported");
        }
        return new ModelConfig(arch, name, context, dim, layers, heads, kvHeads, headDimK, headDimV, ffn,
                experts, expertsUsed, expertFfn, sharedFfn, leadingDense, normTopK, eps, ropeBase, ropeDims, scaling, vocab,
                latent, routing, window, scales, pattern, sections, convolution,
                arch.separatesFeedForward() && experts > 0 ? md.optInt(p + "moe_latent_size", 0, 0) : 0, windows,
                arch.scalesAttentionValues() ? md.optDouble(p + "attention.value_scale").orElse(1.0) : 1.0);
    }

    /**
     * LFM2's convolution blocks: those whose entry of {@code attention.head_count_kv} (an array of
     * one count per block, as llama.cpp reads it) is 0, each reaching {@code shortconv.l_cache}
     * positions (required).
     */
    private static ConvolutionBlocks convolutionBlocks(GgufMetadata md, String p, int layers, int[] counts) {
        if (counts.length != 1 && counts.length < layers) {
            throw new ModelConfigException("'" + p + "attention.head_count_kv' has " + counts.length
                    + " entries for block_count " + layers);
        }
        List<Integer> blocks = new ArrayList<>();
        for (int b = 0; b < layers; b++) {
            if (counts[counts.length == 1 ? 0 : b] == 0) {
                blocks.add(b);
            }
        }
        if (blocks.isEmpty()) {
            return new ConvolutionBlocks(0, blocks); // the configuration names what is missing
        }
        int length = md.requireInt(p + "shortconv.l_cache", 0);
        try {
            return new ConvolutionBlocks(length, blocks);
        } catch (ModelConfigException e) {
            throw new ModelConfigException("'" + p + "shortconv.l_cache': " + e.getMessage());
        }
    }

    /**
     * Qwen3.5's and Qwen3-Next's delta-net blocks, as llama.cpp reads them: those that
     * {@code attention.recurrent_layers} flags where the file has it, else every block but each
     * {@code full_attention_interval}-th (4 where the file does not say); each convolving over
     * {@code ssm.conv_kernel} positions before a delta rule of the shape the {@code ssm.*} keys state,
     * all required. Qwen3.5's converter orders the value heads so that they read their key heads
     * tiled; Qwen3-Next's keep them grouped.
     */
    private static ConvolutionBlocks deltaNetBlocks(GgufMetadata md, String p, int layers, Architecture arch) {
        List<Integer> blocks = new ArrayList<>();
        String listed = p + "attention.recurrent_layers";
        if (md.contains(listed)) {
            boolean[] flags = md.get(listed).map(v -> v.value() instanceof GgufArray a && a.values() instanceof boolean[] f
                    ? f : null).orElseThrow(() -> new ModelConfigException("'" + listed + "' must hold a flag per block"));
            if (flags.length < layers) {
                throw new ModelConfigException("'" + listed + "' has " + flags.length + " flags for " + layers + " blocks");
            }
            for (int b = 0; b < layers; b++) {
                if (flags[b]) {
                    blocks.add(b);
                }
            }
        } else {
            int interval = md.optInt(p + "full_attention_interval", 1, 4);
            for (int b = 0; b < layers; b++) {
                if ((b + 1) % interval != 0) {
                    blocks.add(b);
                }
            }
        }
        if (blocks.isEmpty()) {
            throw new ModelConfigException("no block of " + p.substring(0, p.length() - 1) + " runs the delta rule "
                    + "(full_attention_interval or attention.recurrent_layers): a model without one is not supported");
        }
        SsmKeys ssm = SsmKeys.read(md, p);
        if ((long) ssm.stateSize() * ssm.timeStepRank() != ssm.innerSize()) {
            throw new ModelConfigException("'" + p + "ssm.inner_size' " + ssm.innerSize() + " must be ssm.state_size "
                    + ssm.stateSize() + " x ssm.time_step_rank " + ssm.timeStepRank());
        }
        return new ConvolutionBlocks(ssm.convKernel(), blocks,
                new DeltaNet(ssm.groupCount(), ssm.timeStepRank(), ssm.stateSize(), arch != Architecture.QWEN3NEXT));
    }

    /**
     * The {@code ssm.*} keys every recurrent family's file must state, as llama.cpp reads them: the
     * convolution's length, the state's size, the group count (Qwen3.5's key heads, Mamba2's groups),
     * the time-step rank (Qwen3.5's value heads, Mamba2's heads) and the inner width.
     */
    private record SsmKeys(int convKernel, int stateSize, int groupCount, int timeStepRank, int innerSize) {

        static SsmKeys read(GgufMetadata md, String p) {
            return new SsmKeys(md.requireInt(p + "ssm.conv_kernel", 2), md.requireInt(p + "ssm.state_size", 1),
                    md.requireInt(p + "ssm.group_count", 1), md.requireInt(p + "ssm.time_step_rank", 1),
                    md.requireInt(p + "ssm.inner_size", 1));
        }
    }

    /**
     * Granite 4.0-H's Mamba2 blocks: those whose entry of {@code attention.head_count_kv} is 0, each
     * convolving over {@code ssm.conv_kernel} positions before a selective scan of the shape the
     * {@code ssm.*} keys state, all required.
     */
    private static ConvolutionBlocks mamba2Blocks(GgufMetadata md, String p, int layers, int[] counts, int[] ffns) {
        if (counts.length < layers) {
            throw new ModelConfigException("'" + p + "attention.head_count_kv' has " + counts.length
                    + " entries for block_count " + layers + ": it must hold 0 for each Mamba2 block");
        }
        if (ffns != null && ffns.length < layers) {
            throw new ModelConfigException("'" + p + "feed_forward_length' has " + ffns.length + " entries for block_count "
                    + layers + ": it must hold each block's FFN width, 0 where it runs none");
        }
        List<Integer> blocks = new ArrayList<>();
        List<Integer> feedForward = new ArrayList<>();
        for (int b = 0; b < layers; b++) {
            if (ffns != null && ffns[b] > 0) {
                feedForward.add(b); // Nemotron-H: an FFN alone, whatever its KV heads
            } else if (counts[b] == 0) {
                blocks.add(b);
            }
        }
        if (blocks.isEmpty()) {
            throw new ModelConfigException("no block of " + p.substring(0, p.length() - 1) + " runs Mamba2 (0 in "
                    + "attention.head_count_kv): a model without one is not supported");
        }
        SsmKeys ssm = SsmKeys.read(md, p);
        int heads = ssm.timeStepRank();
        int inner = ssm.innerSize();
        if (inner % heads != 0) {
            throw new ModelConfigException("'" + p + "ssm.inner_size' " + inner + " must be a whole number of channels "
                    + "for each of ssm.time_step_rank " + heads + " heads");
        }
        if (ffns != null && feedForward.isEmpty()) {
            throw new ModelConfigException("no block of " + p.substring(0, p.length() - 1) + " runs an FFN (feed_forward_length "
                    + "is 0 for every block): a model without one is not supported");
        }
        return new ConvolutionBlocks(ssm.convKernel(), blocks,
                new Mamba2(heads, inner / heads, ssm.stateSize(), ssm.groupCount()), feedForward);
    }

    /**
     * Kimi-Linear's delta-attention blocks, as llama.cpp reads them: those whose entry of
     * {@code attention.head_count_kv} (an array of one count per block, required) is 0, the others
     * attending; {@code attention.head_count} heads of {@code kda.head_dim} (required), each of
     * queries, keys and values convolved over {@code ssm.conv_kernel} positions (required).
     */
    private static ConvolutionBlocks deltaAttentionBlocks(GgufMetadata md, String p, int layers, int[] counts,
                                                          int heads) {
        if (counts.length < layers) {
            throw new ModelConfigException("'" + p + "attention.head_count_kv' has " + counts.length
                    + " entries for block_count " + layers + ": it must hold 0 for each delta-attention block");
        }
        List<Integer> blocks = new ArrayList<>();
        for (int b = 0; b < layers; b++) {
            if (counts[b] == 0) {
                blocks.add(b);
            }
        }
        if (blocks.isEmpty()) {
            throw new ModelConfigException("no block of " + p.substring(0, p.length() - 1) + " runs delta attention (0 in "
                    + "attention.head_count_kv): a model without one is not supported");
        }
        int headDim = md.requireInt(p + "kda.head_dim", 1);
        int length = md.requireInt(p + "ssm.conv_kernel", 0);
        try {
            return new ConvolutionBlocks(length, blocks, DeltaNet.kimi(heads, headDim));
        } catch (ModelConfigException e) {
            throw new ModelConfigException("'" + p + "ssm.conv_kernel': " + e.getMessage());
        }
    }

    /**
     * MiMo-V2's windowed blocks, as llama.cpp reads them: those flagged in
     * {@code attention.sliding_window_pattern} (required, a flag per block, prediction blocks
     * included), with the KV heads {@code attention.head_count_kv} (a count per block) gives them and
     * the rotary base {@code rope.freq_base_swa} (10000 where the file does not say).
     */
    private static WindowLayout listedWindows(GgufMetadata md, String p, int layers, int allBlocks, int[] kv) {
        String key = p + "attention.sliding_window_pattern";
        if (!md.contains(key)) {
            throw new ModelConfigException("metadata key '" + key + "' is missing");
        }
        GgufArray array = md.get(key).map(v -> v.value() instanceof GgufArray a ? a : null).orElse(null);
        boolean[] flags = new boolean[allBlocks];
        if (array == null) {
            Arrays.fill(flags, md.requireInt(key, 0) != 0);
        } else if (array.values() instanceof boolean[] b && b.length == allBlocks) {
            flags = b;
        } else if (array.values() instanceof long[] n && n.length == allBlocks) {
            for (int i = 0; i < allBlocks; i++) {
                flags[i] = n[i] != 0;
            }
        } else {
            throw new ModelConfigException("'" + key + "' must hold a flag for each of block_count " + allBlocks
                    + " blocks, got " + array.length() + " " + array.elementType());
        }
        List<Integer> blocks = new ArrayList<>();
        int windowKv = 0;
        for (int b = 0; b < layers; b++) {
            if (flags[b]) {
                if (windowKv != 0 && kv[b] != windowKv) {
                    throw new ModelConfigException("'" + p + "attention.head_count_kv' gives the windowed blocks "
                            + windowKv + " and " + kv[b] + " KV heads: Switchyard takes one count for them all");
                }
                windowKv = kv[b];
                blocks.add(b);
            }
        }
        return blocks.isEmpty() ? WindowLayout.NONE
                : new WindowLayout(blocks, windowKv, md.optDouble(p + "rope.freq_base_swa").orElse(10000.0));
    }

    /** MiMo-V2's full-attention blocks' KV heads: their one count in {@code attention.head_count_kv}. */
    private static int fullKvHeads(String p, int layers, int[] kv, WindowLayout windows) {
        int full = 0;
        for (int b = 0; b < layers; b++) {
            if (!windows.contains(b)) {
                if (full != 0 && kv[b] != full) {
                    throw new ModelConfigException("'" + p + "attention.head_count_kv' gives the full-attention blocks "
                            + full + " and " + kv[b] + " KV heads: Switchyard takes one count for them all");
                }
                full = kv[b];
            }
        }
        return full != 0 ? full : windows.kvHeads(); // every block windowed
    }

    /** {@code attention.head_count_kv} as a count per block (a scalar standing for every block), each positive. */
    private static int[] kvPerListedBlock(GgufMetadata md, String p, int allBlocks) {
        String key = p + "attention.head_count_kv";
        int[] kv = intsPerBlock(md, key);
        if (kv.length == 1) {
            kv = filledInts(allBlocks, kv[0]);
        }
        if (kv.length != allBlocks) {
            throw new ModelConfigException("'" + key + "' has " + kv.length + " entries for block_count " + allBlocks);
        }
        for (int n : kv) {
            if (n < 1) {
                throw new ModelConfigException("'" + key + "' must hold positive counts, got " + Arrays.toString(kv));
            }
        }
        return kv;
    }

    private static int[] filledInts(int n, int value) {
        int[] a = new int[n];
        Arrays.fill(a, value);
        return a;
    }

    /** Nemotron-H's FFN width: the one width its FFN blocks share (llama.cpp allows a width per block; Switchyard does not). */
    private static int feedForwardWidth(int[] widths, String key) {
        int width = 0;
        for (int w : widths) {
            if (w < 0 || w > 0 && width > 0 && w != width) {
                throw new ModelConfigException("'" + key + "' must hold 0 or one FFN width for every FFN block, got "
                        + Arrays.toString(widths));
            }
            width = Math.max(width, w);
        }
        return width;
    }

    /**
     * Nemotron-H's routing as llama.cpp runs it, whatever the file says of its gating: each expert's
     * sigmoid, ranked with the selection bias (within the best groups where the file states more
     * than one), the chosen weights renormalized where {@code expert_weights_norm} says so and
     * scaled by {@code expert_weights_scale}, which is required: llama.cpp multiplies by it always,
     * so a file without it would route to experts that weigh nothing.
     */
    private static ExpertRouting nemotronRouting(GgufMetadata md, String p) {
        int groups = Math.max(md.optInt(p + "expert_group_count", 0, 1), 1);
        int used = groups > 1 ? md.requireInt(p + "expert_group_used_count", 1) : 1;
        double scale = md.requireDouble(p + "expert_weights_scale");
        if (!(scale > 0)) {
            throw new ModelConfigException("'" + p + "expert_weights_scale' must be positive, got " + scale);
        }
        return new ExpertRouting(ExpertRouting.Gating.SIGMOID, groups, used, scale);
    }

    /** The KV heads of LFM2's attention blocks: the one count {@code counts} (the file's {@code key}) holds besides 0. */
    private static int attentionKvHeads(int[] counts, String key) {
        int kv = 0;
        for (int n : counts) {
            if (n < 0 || n > 0 && kv > 0 && n != kv) {
                throw new ModelConfigException("'" + key + "' must hold 0 or one count of KV heads for every attention "
                        + "block, got " + Arrays.toString(counts));
            }
            kv = Math.max(kv, n);
        }
        if (kv == 0) {
            throw new ModelConfigException("'" + key + "' is 0 for every block: a model needs at least one attention block");
        }
        return kv;
    }

    /** {@code head_count_kv} as one count per block, or as one count for all (a scalar). */
    private static int[] kvHeadsPerBlock(GgufMetadata md, String key) {
        return intsPerBlock(md, key);
    }

    /** A key that holds one count per block, or one count for all (a scalar). */
    private static int[] intsPerBlock(GgufMetadata md, String key) {
        if (!md.contains(key)) {
            throw new ModelConfigException("metadata key '" + key + "' is missing");
        }
        boolean array = md.get(key).map(v -> v.value() instanceof GgufArray).orElse(false);
        return array ? md.optIntArray(key).orElseThrow() : new int[] {md.requireInt(key, 0)};
    }

    /**
     * Multimodal rotary sections: up to four counts of pairs (time, height, width, extra; missing
     * ones 0), interleaved (Qwen3-VL) or consecutive (GLM-4.5V).
     */
    private static RopeSections ropeSections(GgufMetadata md, String p, boolean interleaved) {
        String key = p + "rope.dimension_sections";
        int[] s = md.optIntArray(key).orElseThrow(() -> new ModelConfigException("metadata key '" + key + "' is missing"));
        if (s.length == 0 || s.length > 4) {
            throw new ModelConfigException("'" + key + "' has " + s.length + " sections, expected 1 to 4");
        }
        int[] four = Arrays.copyOf(s, 4);
        try {
            return new RopeSections(four[0], four[1], four[2], four[3], interleaved);
        } catch (ModelConfigException e) {
            throw new ModelConfigException("'" + key + "': " + e.getMessage());
        }
    }

    /**
     * AFMoE's and K-EXAONE's blocks as llama.cpp runs them: every 4th unrotated (and attending
     * globally, where the file has windows), the others rotated (and windowed). AFMoE's period is
     * llama.cpp's fixed 4 unless the file says otherwise; K-EXAONE's files state which blocks are
     * windowed ({@code attention.sliding_window_pattern}, one flag per block as its converter writes
     * it, or a period), required. A file stating another pattern, or another rotary base for its
     * windowed blocks, is refused, naming the key.
     */
    private static LayerPattern globalEveryFourth(GgufMetadata md, String p, Architecture arch, int layers) {
        String key = p + "attention.sliding_window_pattern";
        boolean flags = md.get(key).map(v -> v.value() instanceof GgufArray a && a.values() instanceof boolean[])
                .orElse(false);
        if (flags) {
            boolean[] windowed = (boolean[]) ((GgufArray) md.get(key).orElseThrow().value()).values();
            for (int b = 0; b < layers; b++) {
                if (b >= windowed.length || windowed[b] != arch.windowedBlock(b)) {
                    throw new ModelConfigException("'" + key + "' " + Arrays.toString(windowed) + " is not supported"
                            + " (every " + Architecture.GLOBAL_BLOCK_STEP + "th block global, the others windowed, "
                            + "as the released models)");
                }
            }
        } else {
            if (arch == Architecture.EXAONE_MOE && !md.contains(key)) {
                throw new ModelConfigException("metadata key '" + key + "' is missing");
            }
            int period = md.optInt(key, 1, Architecture.GLOBAL_BLOCK_STEP);
            if (period != Architecture.GLOBAL_BLOCK_STEP) {
                throw new ModelConfigException("'" + key + "' " + period + " is not supported"
                        + " (every " + Architecture.GLOBAL_BLOCK_STEP + "th block global, as the released models)");
            }
        }
        OptionalDouble windowBase = md.optDouble(p + "rope.freq_base_swa");
        if (windowBase.isPresent() && windowBase.getAsDouble() != md.optDouble(p + "rope.freq_base").orElse(10000.0)) {
            throw new ModelConfigException("'" + p + "rope.freq_base_swa' (another rotary base for the windowed blocks) "
                    + "is not supported");
        }
        return new LayerPattern(1, Architecture.GLOBAL_BLOCK_STEP, false, 0, 0, 0);
    }

    /** Llama 4's chunk of positions its rotated blocks attend within, and its attention temperature's step. */
    static final int LLAMA4_CHUNK = 8192;

    /**
     * Llama 4's blocks as llama.cpp sets them: experts every {@code interleave_moe_layer_step}-th
     * block (required); every 4th block unrotated, its queries scaled by the attention temperature
     * (0.1 per doubling of 8192 positions), the others attending within chunks of 8192 positions,
     * unless the file states a sliding window of 0, which rotates every block over every position;
     * the rotated blocks' queries and keys normed, but in the 128-expert model (Maverick), as
     * llama.cpp tells the two apart.
     */
    private static LayerPattern llama4Pattern(GgufMetadata md, String p, int experts) {
        int moeStep = md.requireInt(p + "interleave_moe_layer_step", 1);
        boolean chunked = md.optInt(p + "attention.sliding_window", 0, -1) != 0;
        boolean qkNorm = experts != 128;
        return chunked ? new LayerPattern(moeStep, 4, qkNorm, LLAMA4_CHUNK, LLAMA4_CHUNK, 0.1)
                : new LayerPattern(moeStep, 0, qkNorm, 0, 0, 0);
    }

    /**
     * The Granite families' multipliers, each required as llama.cpp requires them. Their blocks
     * rotate queries and keys unless the file says {@code rope.scaling.finetuned} is false (no
     * rotation at all), which Switchyard does not run.
     */
    /**
     * Granite 4.0-H's multipliers, each optional and 0 for none, as llama.cpp reads them: an absent
     * embedding, residual or logit scale is 1, an absent attention scale is 1/sqrt(key width).
     */
    private static ScaleFactors optionalScaleFactors(GgufMetadata md, String p) {
        return new ScaleFactors(unlessZero(md.optDouble(p + "embedding_scale").orElse(0)),
                unlessZero(md.optDouble(p + "residual_scale").orElse(0)), md.optDouble(p + "attention.scale").orElse(0),
                unlessZero(md.optDouble(p + "logit_scale").orElse(0)));
    }

    /** A multiplier that 0 turns off: 1 where it is 0. */
    private static double unlessZero(double factor) {
        return factor == 0 ? 1 : factor;
    }

    private static ScaleFactors scaleFactors(GgufMetadata md, String p) {
        if (!md.optBool(p + "rope.scaling.finetuned").orElse(true)) {
            throw new ModelConfigException("'" + p + "rope.scaling.finetuned' false (attention without rotary "
                    + "positions) is not supported");
        }
        return new ScaleFactors(md.requireDouble(p + "embedding_scale"), md.requireDouble(p + "residual_scale"),
                md.requireDouble(p + "attention.scale"), md.requireDouble(p + "logit_scale"));
    }

    /**
     * DeepSeek-V2's latent attention in either of llama.cpp's layouts. Since it caches the latent,
     * llama.cpp converts the per-head key and value decompressions into {@code attn_k_b} and
     * {@code attn_v_b}, states the head lengths before absorption under {@code *_length_mla}, and
     * the cache's under {@code key_length} and {@code value_length}. Files converted before that
     * carry one {@code attn_kv_b} and state the head lengths under {@code key_length} and
     * {@code value_length} themselves (with as many KV heads as heads).
     */
    private static LatentAttention latentAttention(GgufMetadata md, String p, int keyLength, int valueLength,
                                                   int ropeDims) {
        boolean joined = md.optLong(p + "attention.key_length_mla").isEmpty();
        int kvRank = md.requireInt(p + "attention.kv_lora_rank", 1);
        if (joined && valueLength < 0) {
            valueLength = keyLength; // llama.cpp's default
        }
        // Kimi-Linear's converter leaves value_length out (-1 here): the cache's values are the latent all the same
        if (!joined && (keyLength != kvRank + ropeDims || valueLength >= 0 && valueLength != kvRank)) {
            throw new ModelConfigException("attention.key_length " + keyLength + " must be kv_lora_rank " + kvRank
                    + " + rope.dimension_count " + ropeDims + " and attention.value_length " + valueLength
                    + " must be kv_lora_rank in a file with '" + p + "attention.key_length_mla'");
        }
        return new LatentAttention(
                md.optInt(p + "attention.q_lora_rank", 0, 0),
                kvRank,
                joined ? keyLength : md.requireInt(p + "attention.key_length_mla", 1),
                joined ? valueLength : md.requireInt(p + "attention.value_length_mla", 1),
                md.optDouble(p + "rope.scaling.yarn_log_multiplier").orElse(0),
                joined);
    }

    /**
     * Routing as the file states it, with llama.cpp's defaults for what it does not: the DeepSeek-V2
     * family's softmax (V2, V2.5) or sigmoid (V3, R1, Kimi-K2) scores, softmax when unstated;
     * GLM-4.5's and MiniMax-M2's sigmoid when unstated; weights unscaled when unstated; expert groups where stated.
     */
    private static ExpertRouting statedRouting(GgufMetadata md, String p, Architecture arch, int layers, int vocab) {
        // Ling 2.0's files must say (llama.cpp requires it); Ling 1 routes by softmax whatever its file says
        int code = arch.requiresGatingFunction() ? md.requireInt(p + "expert_gating_func", 1)
                : arch == Architecture.BAILINGMOE ? ExpertRouting.Gating.SOFTMAX.ggufCode()
                : md.optInt(p + "expert_gating_func", 0, 0);
        ExpertRouting.Gating gating = switch (code) {
            case 0 -> arch.routesBySigmoidUnlessStated() || isUnstatedGlm47Flash(arch, layers, vocab)
                    ? ExpertRouting.Gating.SIGMOID : ExpertRouting.Gating.SOFTMAX;
            case 1 -> ExpertRouting.Gating.SOFTMAX;
            case 2 -> ExpertRouting.Gating.SIGMOID;
            default -> throw new ModelConfigException("'" + p + "expert_gating_func' " + code
                    + " is not one Switchyard knows (1 softmax, 2 sigmoid)");
        };
        int groups = md.optInt(p + "expert_group_count", 0, 1);
        groups = Math.max(groups, 1);
        int used = groups > 1 ? md.requireInt(p + "expert_group_used_count", 1) : 1;
        double scale = arch.scalesRoutedWeights() ? md.optDouble(p + "expert_weights_scale").orElse(1.0) : 1.0;
        // llama.cpp scales only by a factor other than 0 and 1
        return new ExpertRouting(gating, groups, used, scale == 0 ? 1.0 : scale);
    }

    /**
     * Whether a {@code deepseek2} file that does not state its gating function is GLM-4.7-Flash's,
     * which routes by sigmoid: llama.cpp tells its early files by 47 or 48 blocks (the last its
     * prediction block) and a vocabulary of 154880, as Switchyard does.
     */
    private static boolean isUnstatedGlm47Flash(Architecture arch, int layers, int vocab) {
        return arch == Architecture.DEEPSEEK2 && (layers == 47 || layers == 48) && vocab == GLM47_FLASH_VOCABULARY;
    }

    private static final int GLM47_FLASH_VOCABULARY = 154880;

    private static int sharedExpertsWidth(int count, int expertFfn, String p) {
        long width = (long) count * expertFfn;
        if (width > Integer.MAX_VALUE) {
            throw new ModelConfigException("'" + p + "expert_shared_count' " + count + " experts of width " + expertFfn
                    + " is too wide");
        }
        return (int) width;
    }

    private static RopeScaling ropeScaling(GgufMetadata md, String p) {
        String type = md.optString(p + "rope.scaling.type").orElse(null);
        double factor = md.optDouble(p + "rope.scaling.factor").orElse(0);
        if (type == null) {
            // Older files state only a linear factor.
            double linear = md.optDouble(p + "rope.scale_linear").orElse(0);
            if (linear > 0 && linear != 1.0) {
                return new RopeScaling(RopeScaling.Type.LINEAR, linear, 0);
            }
            return RopeScaling.NONE;
        }
        RopeScaling.Type t = RopeScaling.parseType(type);
        if (t == RopeScaling.Type.NONE) {
            return RopeScaling.NONE;
        }
        if (!(factor > 0)) {
            throw new ModelConfigException("rope scaling '" + type + "' needs a positive '" + p + "rope.scaling.factor'");
        }
        int original = md.optInt(p + "rope.scaling.original_context_length", 0, 0);
        double attnFactor = md.optDouble(p + "rope.scaling.attn_factor").orElse(1.0);
        if (!(attnFactor > 0)) {
            throw new ModelConfigException("'" + p + "rope.scaling.attn_factor' must be positive, got " + attnFactor);
        }
        return new RopeScaling(t, factor, original, attnFactor);
    }
}
