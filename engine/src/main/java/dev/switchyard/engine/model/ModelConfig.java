package dev.switchyard.engine.model;

/**
 * The hyper-parameters of one model, as its file states them (see {@link ModelConfigReader}).
 *
 * @param dim                 embedding length (hidden size)
 * @param feedForwardLength   dense FFN width ({@code feed_forward_length}); for Mixtral and OLMoE the
 *                            same key is the expert width
 * @param expertCount         0 for a dense model
 * @param expertFeedForwardLength width of one routed expert's FFN
 * @param sharedExpertFeedForwardLength width of the shared expert (Qwen2-MoE; DeepSeek-MoE's shared
 *                            experts together), else 0
 * @param leadingDenseLayers  blocks at the start with a dense FFN instead of experts (DeepSeek-MoE's
 *                            {@code leading_dense_block_count}); the blocks after them route
 * @param normalizeTopK       whether the chosen experts' weights are renormalized to sum to one
 * @param vocabSize           number of tokens, 0 when the metadata does not say
 * @param latentAttention     the latent attention's shape (DeepSeek-V2), else null; then the head
 *                            dimensions and the single KV head describe the latent cache
 * @param routing             how logits become chosen experts and weights beyond top-k (the DeepSeek
 *                            families' gating, selection bias, expert groups and weight scale);
 *                            {@link ExpertRouting#SOFTMAX} for every other family
 * @param slidingWindow       the positions a windowed block attends to (gpt-oss's
 *                            {@code attention.sliding_window}; see {@link #slidingWindow(int)}), 0
 *                            for a family without windowed blocks
 * @param scales              the Granite families' multipliers ({@link ScaleFactors}), else
 *                            {@link ScaleFactors#NONE}; a MoE model's routed experts are scaled by
 *                            the residual factor through {@code routing}'s weight scale
 * @param pattern             how blocks vary with depth (Llama 4's interleaved experts and
 *                            unrotated blocks), else {@link LayerPattern#UNIFORM}
 * @param ropeSections        Qwen3-VL's multimodal rotary sections ({@link RopeSections}), else
 *                            {@link RopeSections#NONE}
 * @param convolution         LFM2's blocks that convolve instead of attending, Qwen3.5's that run
 *                            the delta rule after their convolution and Granite 4.0-H's that run
 *                            Mamba2's scan ({@link ConvolutionBlocks}), else
 *                            {@link ConvolutionBlocks#NONE}; the head
 *                            counts describe the attention blocks
 * @param expertLatentWidth   the width routed experts work in where it is not the model's (Nemotron 3
 *                            Super's {@code moe_latent_size}: their inputs projected down to it by
 *                            {@code ffn_latent_down}, their weighted sum back up by {@code ffn_latent_up}),
 *                            else 0
 * @param windows             windowed blocks as the file lists them, with KV heads and rotary base of
 *                            their own (MiMo-V2-Flash), else {@link WindowLayout#NONE}
 * @param valueScale          what every attention output is multiplied by (MiMo-V2's
 *                            {@code attention.value_scale}), else 1
 */
public record ModelConfig(
        Architecture architecture,
        String name,
        int contextLength,
        int dim,
        int layers,
        int headCount,
        int kvHeadCount,
        int headDimK,
        int headDimV,
        int feedForwardLength,
        int expertCount,
        int expertUsedCount,
        int expertFeedForwardLength,
        int sharedExpertFeedForwardLength,
        int leadingDenseLayers,
        boolean normalizeTopK,
        double rmsEps,
        double ropeFreqBase,
        int ropeDimensions,
        RopeScaling ropeScaling,
        int vocabSize,
        LatentAttention latentAttention,
        ExpertRouting routing,
        int slidingWindow,
        ScaleFactors scales,
        LayerPattern pattern,
        RopeSections ropeSections,
        ConvolutionBlocks convolution,
        int expertLatentWidth,
        WindowLayout windows,
        double valueScale) {

    /** A configuration whose windowed blocks follow the architecture's rule and whose attention is unscaled after. */
    public ModelConfig(Architecture architecture, String name, int contextLength, int dim, int layers, int headCount,
                       int kvHeadCount, int headDimK, int headDimV, int feedForwardLength, int expertCount,
                       int expertUsedCount, int expertFeedForwardLength, int sharedExpertFeedForwardLength,
                       int leadingDenseLayers, boolean normalizeTopK, double rmsEps, double ropeFreqBase,
                       int ropeDimensions, RopeScaling ropeScaling, int vocabSize, LatentAttention latentAttention,
                       ExpertRouting routing, int slidingWindow, ScaleFactors scales, LayerPattern pattern,
                       RopeSections ropeSections, ConvolutionBlocks convolution, int expertLatentWidth) {
        this(architecture, name, contextLength, dim, layers, headCount, kvHeadCount, headDimK, headDimV,
                feedForwardLength, expertCount, expertUsedCount, expertFeedForwardLength, sharedExpertFeedForwardLength,
                leadingDenseLayers, normalizeTopK, rmsEps, ropeFreqBase, ropeDimensions, ropeScaling, vocabSize,
                latentAttention, routing, slidingWindow, scales, pattern, ropeSections, convolution, expertLatentWidth,
                WindowLayout.NONE, 1.0);
    }

    /** A configuration whose routed experts work in the model's width (every family but Nemotron 3 Super). */
    public ModelConfig(Architecture architecture, String name, int contextLength, int dim, int layers, int headCount,
                       int kvHeadCount, int headDimK, int headDimV, int feedForwardLength, int expertCount,
                       int expertUsedCount, int expertFeedForwardLength, int sharedExpertFeedForwardLength,
                       int leadingDenseLayers, boolean normalizeTopK, double rmsEps, double ropeFreqBase,
                       int ropeDimensions, RopeScaling ropeScaling, int vocabSize, LatentAttention latentAttention,
                       ExpertRouting routing, int slidingWindow, ScaleFactors scales, LayerPattern pattern,
                       RopeSections ropeSections, ConvolutionBlocks convolution) {
        this(architecture, name, contextLength, dim, layers, headCount, kvHeadCount, headDimK, headDimV,
                feedForwardLength, expertCount, expertUsedCount, expertFeedForwardLength, sharedExpertFeedForwardLength,
                leadingDenseLayers, normalizeTopK, rmsEps, ropeFreqBase, ropeDimensions, ropeScaling, vocabSize,
                latentAttention, routing, slidingWindow, scales, pattern, ropeSections, convolution, 0);
    }

    /** A configuration whose every block attends (every family but LFM2). */
    public ModelConfig(Architecture architecture, String name, int contextLength, int dim, int layers, int headCount,
                       int kvHeadCount, int headDimK, int headDimV, int feedForwardLength, int expertCount,
                       int expertUsedCount, int expertFeedForwardLength, int sharedExpertFeedForwardLength,
                       int leadingDenseLayers, boolean normalizeTopK, double rmsEps, double ropeFreqBase,
                       int ropeDimensions, RopeScaling ropeScaling, int vocabSize, LatentAttention latentAttention,
                       ExpertRouting routing, int slidingWindow, ScaleFactors scales, LayerPattern pattern,
                       RopeSections ropeSections) {
        this(architecture, name, contextLength, dim, layers, headCount, kvHeadCount, headDimK, headDimV,
                feedForwardLength, expertCount, expertUsedCount, expertFeedForwardLength, sharedExpertFeedForwardLength,
                leadingDenseLayers, normalizeTopK, rmsEps, ropeFreqBase, ropeDimensions, ropeScaling, vocabSize,
                latentAttention, routing, slidingWindow, scales, pattern, ropeSections, ConvolutionBlocks.NONE);
    }

    /** A configuration with ordinary rotary positions (every family but Qwen3-VL). */
    public ModelConfig(Architecture architecture, String name, int contextLength, int dim, int layers, int headCount,
                       int kvHeadCount, int headDimK, int headDimV, int feedForwardLength, int expertCount,
                       int expertUsedCount, int expertFeedForwardLength, int sharedExpertFeedForwardLength,
                       int leadingDenseLayers, boolean normalizeTopK, double rmsEps, double ropeFreqBase,
                       int ropeDimensions, RopeScaling ropeScaling, int vocabSize, LatentAttention latentAttention,
                       ExpertRouting routing, int slidingWindow, ScaleFactors scales, LayerPattern pattern) {
        this(architecture, name, contextLength, dim, layers, headCount, kvHeadCount, headDimK, headDimV,
                feedForwardLength, expertCount, expertUsedCount, expertFeedForwardLength, sharedExpertFeedForwardLength,
                leadingDenseLayers, normalizeTopK, rmsEps, ropeFreqBase, ropeDimensions, ropeScaling, vocabSize,
                latentAttention, routing, slidingWindow, scales, pattern, RopeSections.NONE);
    }

    /** A configuration whose blocks do not vary with depth (every family but Llama 4). */
    public ModelConfig(Architecture architecture, String name, int contextLength, int dim, int layers, int headCount,
                       int kvHeadCount, int headDimK, int headDimV, int feedForwardLength, int expertCount,
                       int expertUsedCount, int expertFeedForwardLength, int sharedExpertFeedForwardLength,
                       int leadingDenseLayers, boolean normalizeTopK, double rmsEps, double ropeFreqBase,
                       int ropeDimensions, RopeScaling ropeScaling, int vocabSize, LatentAttention latentAttention,
                       ExpertRouting routing, int slidingWindow, ScaleFactors scales) {
        this(architecture, name, contextLength, dim, layers, headCount, kvHeadCount, headDimK, headDimV,
                feedForwardLength, expertCount, expertUsedCount, expertFeedForwardLength, sharedExpertFeedForwardLength,
                leadingDenseLayers, normalizeTopK, rmsEps, ropeFreqBase, ropeDimensions, ropeScaling, vocabSize,
                latentAttention, routing, slidingWindow, scales, LayerPattern.UNIFORM);
    }

    /** A configuration without scale factors (every family but Granite's). */
    public ModelConfig(Architecture architecture, String name, int contextLength, int dim, int layers, int headCount,
                       int kvHeadCount, int headDimK, int headDimV, int feedForwardLength, int expertCount,
                       int expertUsedCount, int expertFeedForwardLength, int sharedExpertFeedForwardLength,
                       int leadingDenseLayers, boolean normalizeTopK, double rmsEps, double ropeFreqBase,
                       int ropeDimensions, RopeScaling ropeScaling, int vocabSize, LatentAttention latentAttention,
                       ExpertRouting routing, int slidingWindow) {
        this(architecture, name, contextLength, dim, layers, headCount, kvHeadCount, headDimK, headDimV,
                feedForwardLength, expertCount, expertUsedCount, expertFeedForwardLength, sharedExpertFeedForwardLength,
                leadingDenseLayers, normalizeTopK, rmsEps, ropeFreqBase, ropeDimensions, ropeScaling, vocabSize,
                latentAttention, routing, slidingWindow, ScaleFactors.NONE, LayerPattern.UNIFORM);
    }

    /** A configuration without windowed blocks (every family but gpt-oss). */
    public ModelConfig(Architecture architecture, String name, int contextLength, int dim, int layers, int headCount,
                       int kvHeadCount, int headDimK, int headDimV, int feedForwardLength, int expertCount,
                       int expertUsedCount, int expertFeedForwardLength, int sharedExpertFeedForwardLength,
                       int leadingDenseLayers, boolean normalizeTopK, double rmsEps, double ropeFreqBase,
                       int ropeDimensions, RopeScaling ropeScaling, int vocabSize, LatentAttention latentAttention,
                       ExpertRouting routing) {
        this(architecture, name, contextLength, dim, layers, headCount, kvHeadCount, headDimK, headDimV,
                feedForwardLength, expertCount, expertUsedCount, expertFeedForwardLength, sharedExpertFeedForwardLength,
                leadingDenseLayers, normalizeTopK, rmsEps, ropeFreqBase, ropeDimensions, ropeScaling, vocabSize,
                latentAttention, routing, 0);
    }

    /** A configuration with multi-head attention and unscaled routed weights (every family but DeepSeek-V2). */
    public ModelConfig(Architecture architecture, String name, int contextLength, int dim, int layers, int headCount,
                       int kvHeadCount, int headDimK, int headDimV, int feedForwardLength, int expertCount,
                       int expertUsedCount, int expertFeedForwardLength, int sharedExpertFeedForwardLength,
                       int leadingDenseLayers, boolean normalizeTopK, double rmsEps, double ropeFreqBase,
                       int ropeDimensions, RopeScaling ropeScaling, int vocabSize) {
        this(architecture, name, contextLength, dim, layers, headCount, kvHeadCount, headDimK, headDimV,
                feedForwardLength, expertCount, expertUsedCount, expertFeedForwardLength, sharedExpertFeedForwardLength,
                leadingDenseLayers, normalizeTopK, rmsEps, ropeFreqBase, ropeDimensions, ropeScaling, vocabSize, null,
                ExpertRouting.SOFTMAX);
    }

    public ModelConfig {
        require(layers >= 1, "block_count must be at least 1");
        require(dim >= 1 && headCount >= 1 && kvHeadCount >= 1, "dimensions must be positive");
        require(headCount % kvHeadCount == 0,
                "head_count " + headCount + " is not a multiple of head_count_kv " + kvHeadCount);
        require(headDimK >= 1 && headDimV >= 1, "head dimensions must be positive");
        require(ropeDimensions >= 0 && ropeDimensions <= headDimK && ropeDimensions % 2 == 0,
                "rope.dimension_count " + ropeDimensions + " must be even and at most the head dimension " + headDimK);
        require(rmsEps > 0, "layer_norm_rms_epsilon must be positive");
        require(windows != null, "the windowed blocks' layout must be stated");
        require(!windows.stated() || architecture.listsWindowedBlocks() && slidingWindow >= 1
                        && windows.blocks().getLast() < layers && headCount % windows.kvHeads() == 0,
                "windowed blocks " + windows.blocks() + " with " + windows.kvHeads() + " KV heads: only MiMo-V2 lists "
                        + "them, each a block of the model's, its KV heads dividing head_count, with a window");
        require(!architecture.listsWindowedBlocks() || windows.stated() || slidingWindow == 0,
                architecture.ggufName() + " needs its attention.sliding_window_pattern");
        require(valueScale > 0 && (valueScale == 1.0 || architecture.scalesAttentionValues()),
                "attention.value_scale " + valueScale + ": only MiMo-V2's attention outputs are scaled");
        require(expertLatentWidth == 0 || expertLatentWidth > 0 && expertCount > 0 && architecture.separatesFeedForward(),
                "moe_latent_size " + expertLatentWidth + ": only Nemotron-H's routed experts work in a latent width");
        if (expertCount > 0) {
            require(expertUsedCount >= 1 && expertUsedCount <= expertCount,
                    "expert_used_count " + expertUsedCount + " must be in 1.." + expertCount);
            require(expertFeedForwardLength >= 1, "expert feed-forward length must be positive");
            require(leadingDenseLayers >= 0 && leadingDenseLayers < layers, "leading_dense_block_count "
                    + leadingDenseLayers + " must be in 0.." + (layers - 1) + " (at least one block must have experts)");
            require(leadingDenseLayers == 0 || feedForwardLength >= 1,
                    "feed_forward_length must be positive for the leading dense blocks");
        } else {
            require(feedForwardLength >= 1, "feed_forward_length must be positive");
            require(leadingDenseLayers == 0, "leading_dense_block_count is set but the model has no experts");
        }
        require(!architecture.requiresExperts() || expertCount > 0,
                architecture.ggufName() + " is a mixture-of-experts family but expert_count is 0");
        require(!architecture.isDenseOnly() || expertCount == 0,
                architecture.ggufName() + " has no experts but expert_count is " + expertCount);
        require(!architecture.hasSharedExpert() || expertCount == 0 || sharedExpertFeedForwardLength >= 1
                        || architecture.mayLackSharedExpert(),
                architecture.ggufName() + " needs a shared expert feed-forward length");
        require(architecture.sharedExpert() != Architecture.SharedExpert.UNGATED || expertCount == 0
                        || architecture.statesSharedExpertWidth() || architecture == Architecture.BAILINGMOE2
                        || sharedExpertFeedForwardLength % expertFeedForwardLength == 0,
                "the shared experts' width " + sharedExpertFeedForwardLength + " must be a whole number of experts of width "
                        + expertFeedForwardLength);
        require(architecture.hasLeadingDenseLayers() || leadingDenseLayers == 0,
                architecture.ggufName() + " has no leading dense blocks");
        require(routing != null, "expert routing must be stated");
        require(scales != null, "scale factors must be stated");
        require(pattern != null, "the layer pattern must be stated");
        require(ropeSections != null, "the rotary sections must be stated");
        require(convolution != null, "the convolution blocks must be stated");
        require(!architecture.hasConvolutionBlocks() || convolution.present(),
                architecture.ggufName() + " needs its convolution blocks (0 in attention.head_count_kv) and shortconv.l_cache");
        require(!architecture.runsDeltaRule() || convolution.present(),
                architecture.ggufName() + " needs its delta-net blocks (full_attention_interval) and ssm.conv_kernel");
        require(!convolution.present() || architecture.mixesWithoutAttention(),
                architecture.ggufName() + " has no convolution blocks");
        require(architecture.runsDeltaRule() == (convolution.deltaNet() != null), architecture.runsDeltaRule()
                ? architecture.ggufName() + " needs its delta net's shape (ssm.group_count, ssm.time_step_rank, "
                + "ssm.state_size)" : architecture.ggufName() + " has no delta-net blocks");
        require(!architecture.hasMamba2Blocks() || convolution.mamba2() != null, architecture.ggufName()
                + " needs its Mamba2 blocks (0 in attention.head_count_kv) and their shape (ssm.*)");
        require(architecture.hasMamba2Blocks() || convolution.mamba2() == null,
                architecture.ggufName() + " has no Mamba2 blocks");
        require(!convolution.present() || convolution.blocks().get(convolution.count() - 1) < layers,
                "convolution block " + (convolution.present() ? convolution.blocks().get(convolution.count() - 1) : 0)
                        + " is beyond block_count " + layers);
        require(!convolution.present() || convolution.count() + convolution.feedForwardOnly().size() < layers,
                "every block convolves: a model needs at least one attention block");
        require(!convolution.separatesFeedForward() || convolution.feedForwardOnly().getLast() < layers,
                "feed-forward block " + (convolution.separatesFeedForward() ? convolution.feedForwardOnly().getLast() : 0)
                        + " is beyond block_count " + layers);
        require(!convolution.separatesFeedForward() || leadingDenseLayers == 0 && pattern.moeStep() == 1,
                "blocks that run an FFN alone route or not all alike: no leading dense blocks or interleave step");
        require(!architecture.hasRopeSections() || ropeSections.present(),
                architecture.ggufName() + " needs its rope.dimension_sections");
        require(!ropeSections.present() || architecture.hasRopeSections() || architecture.mayStateRopeSections(),
                architecture.ggufName() + " has no multimodal rotary sections");
        require(!ropeSections.present() || ropeSections.interleaved() == architecture.hasRopeSections(),
                architecture.ggufName() + "'s rotary sections are " + (architecture.hasRopeSections() ? "" : "not ")
                        + "interleaved");
        require(architecture.hasLayerPattern() || pattern.equals(LayerPattern.UNIFORM)
                        || (architecture.hasMamba2Blocks() || architecture.hasDeltaAttentionBlocks())
                        && pattern.equals(LayerPattern.UNROTATED),
                architecture.ggufName() + " does not vary its blocks with depth");
        require(expertCount == 0 || layers / pattern.moeStep() >= firstRoutedStep(leadingDenseLayers, pattern.moeStep()),
                "interleave_moe_layer_step " + pattern.moeStep() + " leaves no block of " + layers + " to route");
        require(expertCount == 0 || pattern.moeStep() == 1 || feedForwardLength >= 1,
                "feed_forward_length must be positive for the dense blocks between routed ones");
        require(architecture.statesScaleFactors() || architecture.mayStateScaleFactors()
                        || scales.equals(architecture.scalesEmbeddingsByWidth()
                        ? ScaleFactors.widthScaledEmbeddings(dim) : ScaleFactors.NONE),
                architecture.ggufName() + " has no embedding, residual, attention or logit scales of its own");
        // the routed experts' share of the FFN branch is scaled through their weights
        require(!architecture.statesScaleFactors() && !architecture.mayStateScaleFactors() || expertCount == 0
                        || routing.gating() == ExpertRouting.Gating.SOFTMAX && !routing.groupLimited()
                        && routing.weightScale() == scales.residual(),
                "the routed experts' weight scale " + routing.weightScale() + " must be residual_scale "
                        + scales.residual());
        require(architecture.slidesWindows() ? slidingWindow >= (architecture.mayLeaveWindowsOut() ? 0 : 1)
                : slidingWindow == 0, architecture.slidesWindows()
                ? "attention.sliding_window must be at least 1, got " + slidingWindow
                : architecture.ggufName() + " has no sliding-window blocks");
        require(routing.groupCount() == 1 || (expertCount % routing.groupCount() == 0
                        && expertCount / routing.groupCount() >= 2),
                "expert_count " + expertCount + " must split into expert_group_count " + routing.groupCount()
                        + " groups of at least two experts");
        require(!routing.groupLimited() || expertUsedCount <= routing.groupsUsed() * (expertCount / routing.groupCount()),
                "expert_used_count " + expertUsedCount + " is more experts than " + routing.groupsUsed() + " groups hold");
        require(architecture.latentAttention() == (latentAttention != null), architecture.latentAttention()
                ? architecture.ggufName() + " needs its latent attention's shape" : architecture.ggufName()
                + " has no latent attention");
        if (latentAttention != null) {
            LatentAttention a = latentAttention;
            require(kvHeadCount == 1, "latent attention caches one key/value head, the file says " + kvHeadCount);
            require(headDimK == a.kvLoraRank() + ropeDimensions, "attention.key_length " + headDimK
                    + " must be kv_lora_rank " + a.kvLoraRank() + " + rope.dimension_count " + ropeDimensions);
            require(headDimV == a.kvLoraRank(), "attention.value_length " + headDimV + " must be kv_lora_rank "
                    + a.kvLoraRank());
            require(a.keyLength() > ropeDimensions, "attention.key_length_mla " + a.keyLength()
                    + " must exceed rope.dimension_count " + ropeDimensions);
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new ModelConfigException(message);
        }
    }

    /**
     * The sliding window of block {@code block} in positions: a token there attends to itself and
     * the {@code window - 1} positions before it. 0 where the block attends to every position.
     */
    public int slidingWindow(int block) {
        boolean windowed = windows.stated() ? windows.contains(block) : architecture.windowedBlock(block);
        return windowed ? slidingWindow : 0;
    }

    /** Blocks that attend through a sliding window. */
    public int windowedBlocks() {
        int n = 0;
        for (int b = 0; b < layers; b++) {
            if (slidingWindow(b) > 0) {
                n++;
            }
        }
        return n;
    }

    /**
     * Whether windowed blocks keep their keys and values in a pool of their own, where a sequence
     * holds only what its window reaches: where some blocks attend through a window and others to
     * every position.
     */
    public boolean keepsWindowedKvApart() {
        int windowed = windowedBlocks();
        return windowed > 0 && windowed < layers && latentAttention == null;
    }

    /** Whether block {@code block} convolves instead of attending (LFM2; Qwen3.5's delta-net blocks). */
    public boolean isConvolutionBlock(int block) {
        return convolution.contains(block);
    }

    /** Whether block {@code block} attends: neither convolving nor running an FFN alone (Nemotron-H). */
    public boolean attends(int block) {
        return !convolution.contains(block) && !convolution.isFeedForwardOnly(block);
    }

    /** Whether block {@code block} runs an FFN (or routed experts): every block, but where each runs one part only (Nemotron-H). */
    public boolean feedsForward(int block) {
        return !convolution.separatesFeedForward() || convolution.isFeedForwardOnly(block);
    }

    /** Blocks that attend. */
    public int attentionBlocks() {
        return layers - convolution.count() - convolution.feedForwardOnly().size();
    }

    /**
     * Whether some blocks carry a state per sequence from token to token (Qwen3.5's delta net): a
     * sequence's state then stands for all its past, so its positions must be computed in order from
     * 0, and neither a cached prefix nor a rejected draft can be taken back out of it.
     */
    public boolean carriesRecurrentState() {
        return convolution.mixer() != null;
    }

    /**
     * Whether some blocks keep what they cache in the pool where a sequence holds only its last
     * positions' blocks ({@link dev.switchyard.engine.kv.WindowedKvCache}): windowed blocks kept
     * apart, and convolution blocks, whose rows always live there.
     */
    public boolean usesWindowPool() {
        return keepsWindowedKvApart() || convolution.present();
    }

    /**
     * The positions the window pool must keep for each sequence: the widest of the windowed blocks'
     * window (where they are kept apart) and the convolution's length; 0 where there is no such pool.
     */
    public int windowPoolReach() {
        return Math.max(keepsWindowedKvApart() ? slidingWindow : 0, convolution.length());
    }

    /** Blocks whose keys and values the pool that grows with each sequence holds: every attention block not kept apart. */
    public int fullKvBlocks() {
        return attentionBlocks() - (keepsWindowedKvApart() ? windowedBlocks() : 0);
    }

    public boolean isMoe() {
        return expertCount > 0;
    }

    /** The width routed experts take and give: the model's, or their latent width (Nemotron 3 Super). */
    public int expertWidth() {
        return expertLatentWidth > 0 ? expertLatentWidth : dim;
    }

    /** Whether MoE blocks run a shared expert beside the routed ones. */
    public boolean hasSharedExpert() {
        return isMoe() && architecture.hasSharedExpert() && sharedExpertFeedForwardLength > 0;
    }

    /**
     * The blocks with routed experts, numbered from 0 ("routed layers"): every block of a MoE model
     * but its leading dense ones. The expert cache, predictors, traces and expert metrics count
     * layers this way, so a DeepSeek-MoE's dense first block takes no room in them.
     */
    public int routedLayers() {
        if (convolution.separatesFeedForward()) {
            return isMoe() ? convolution.feedForwardOnly().size() : 0;
        }
        int step = pattern.moeStep();
        return isMoe() ? layers / step - firstRoutedStep(leadingDenseLayers, step) + 1 : 0;
    }

    /**
     * Whether block {@code block} routes its tokens to experts (else it has a dense FFN): after the
     * leading dense blocks, every block b with {@code (b + 1) % moeStep == 0}, as llama.cpp counts.
     */
    public boolean isRoutedBlock(int block) {
        if (convolution.separatesFeedForward()) {
            return isMoe() && convolution.isFeedForwardOnly(block);
        }
        return isMoe() && block >= leadingDenseLayers && (block + 1) % pattern.moeStep() == 0;
    }

    /** The routed layer number of block {@code block}, which must route. */
    public int routedLayerOf(int block) {
        if (convolution.separatesFeedForward()) {
            return java.util.Collections.binarySearch(convolution.feedForwardOnly(), block);
        }
        return (block + 1) / pattern.moeStep() - firstRoutedStep(leadingDenseLayers, pattern.moeStep());
    }

    /** The block of routed layer {@code routedLayer}. */
    public int blockOfRoutedLayer(int routedLayer) {
        if (convolution.separatesFeedForward()) {
            return convolution.feedForwardOnly().get(routedLayer);
        }
        return (routedLayer + firstRoutedStep(leadingDenseLayers, pattern.moeStep())) * pattern.moeStep() - 1;
    }

    /** The k of the first routed block {@code k * step - 1} at or after the leading dense blocks. */
    private static int firstRoutedStep(int leadingDense, int step) {
        return (leadingDense + step) / step; // ceil((leadingDense + 1) / step)
    }

    /** Grouped-query attention: query heads per key/value head. */
    public int queriesPerKvHead() {
        return headCount / kvHeadCount;
    }

    public int qDim() {
        return headCount * headDimK;
    }

    public int kvDimK() {
        return kvHeadCount * headDimK;
    }

    public int kvDimV() {
        return kvHeadCount * headDimV;
    }

    /** Key/value heads of block {@code block}: the windowed blocks' own where the file lists them (MiMo-V2). */
    public int kvHeadCount(int block) {
        return windows.stated() && windows.contains(block) ? windows.kvHeads() : kvHeadCount;
    }

    /** Key/value heads of the windowed blocks (those of every block but in MiMo-V2). */
    public int windowKvHeadCount() {
        return windows.stated() ? windows.kvHeads() : kvHeadCount;
    }

    /** The rotary base of block {@code block}: the windowed blocks' own where the file lists them (MiMo-V2). */
    public double ropeFreqBase(int block) {
        return windows.stated() && windows.contains(block) ? windows.ropeBase() : ropeFreqBase;
    }

    /**
     * Value floats the KV cache keeps per position and layer: none with latent attention, whose
     * values are the latent its key rows already hold (after the rotary part); else {@link #kvDimV()}.
     */
    public int cachedValueDim() {
        return latentAttention != null ? 0 : kvDimV();
    }

    /** Width of the attention output that feeds {@code attn_output}: heads times a head's value width. */
    public int attentionOutputDim() {
        return headCount * (latentAttention != null ? latentAttention.valueLength() : headDimV);
    }

    /**
     * The softmax scale of attention scores: the file's {@code attention.scale} where it states one
     * (Granite), else 1/sqrt(key width); with latent attention the width
     * before absorption, times the square of llama.cpp's mscale for this family:
     * {@link #latentRopeMagnitude()} x (1 + 0.1 x mscale_all_dim x ln factor).
     */
    public double attentionScale() {
        if (scales.attention() != 0) {
            return scales.attention();
        }
        if (latentAttention == null) {
            return 1.0 / Math.sqrt(headDimK);
        }
        double mscale = latentRopeMagnitude()
                * (1.0 + 0.1 * latentAttention.mscaleAllDim() * Math.log(scalingFactor()));
        return mscale * mscale / Math.sqrt(latentAttention.keyLength());
    }

    /**
     * The magnitude latent attention's rotation keeps under YaRN, as llama.cpp sets it for this
     * family: attn_factor alone where the file states a log multiplier (the sharpening then goes
     * into the softmax scale), else YaRN's usual attn_factor x (1 + 0.1 ln factor); attn_factor
     * without YaRN.
     */
    public double latentRopeMagnitude() {
        boolean boosted = ropeScaling.type() == RopeScaling.Type.YARN && latentAttention.yarnLogMultiplier() == 0;
        return ropeScaling.attnFactor() * (boosted ? 1.0 + 0.1 * Math.log(scalingFactor()) : 1.0);
    }

    private double scalingFactor() {
        return ropeScaling.type() == RopeScaling.Type.NONE ? 1.0 : ropeScaling.factor();
    }

    /** This configuration with its blocks varying as {@code changed} says. */
    public ModelConfig withPattern(LayerPattern changed) {
        return new ModelConfig(architecture, name, contextLength, dim, layers, headCount, kvHeadCount, headDimK,
                headDimV, feedForwardLength, expertCount, expertUsedCount, expertFeedForwardLength,
                sharedExpertFeedForwardLength, leadingDenseLayers, normalizeTopK, rmsEps, ropeFreqBase, ropeDimensions,
                ropeScaling, vocabSize, latentAttention, routing, slidingWindow, scales, changed, ropeSections, convolution, expertLatentWidth);
    }

    /** This configuration with its rotating pairs in {@code changed} sections. */
    public ModelConfig withRopeSections(RopeSections changed) {
        return new ModelConfig(architecture, name, contextLength, dim, layers, headCount, kvHeadCount, headDimK,
                headDimV, feedForwardLength, expertCount, expertUsedCount, expertFeedForwardLength,
                sharedExpertFeedForwardLength, leadingDenseLayers, normalizeTopK, rmsEps, ropeFreqBase, ropeDimensions,
                ropeScaling, vocabSize, latentAttention, routing, slidingWindow, scales, pattern, changed, convolution, expertLatentWidth);
    }

    public ModelConfig withVocabSize(int vocab) {
        return new ModelConfig(architecture, name, contextLength, dim, layers, headCount, kvHeadCount, headDimK,
                headDimV, feedForwardLength, expertCount, expertUsedCount, expertFeedForwardLength,
                sharedExpertFeedForwardLength, leadingDenseLayers, normalizeTopK, rmsEps, ropeFreqBase, ropeDimensions,
                ropeScaling, vocab, latentAttention, routing, slidingWindow, scales, pattern, ropeSections, convolution, expertLatentWidth);
    }
}
