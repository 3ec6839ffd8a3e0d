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
        int vocabSize) {

    public ModelConfig {
        require(layers >= 1, "block_count must be at least 1");
        require(dim >= 1 && headCount >= 1 && kvHeadCount >= 1, "dimensions must be positive");
        require(headCount % kvHeadCount == 0,
                "head_count " + headCount + " is not a multiple of head_count_kv " + kvHeadCount);
        require(headDimK >= 1 && headDimV >= 1, "head dimensions must be positive");
        require(ropeDimensions >= 0 && ropeDimensions <= headDimK && ropeDimensions % 2 == 0,
                "rope.dimension_count " + ropeDimensions + " must be even and at most the head dimension " + headDimK);
        require(rmsEps > 0, "layer_norm_rms_epsilon must be positive");
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
        require(!architecture.hasSharedExpert() || expertCount == 0 || sharedExpertFeedForwardLength >= 1,
                architecture.ggufName() + " needs a shared expert feed-forward length");
        require(architecture.sharedExpert() != Architecture.SharedExpert.UNGATED || expertCount == 0
                        || sharedExpertFeedForwardLength % expertFeedForwardLength == 0,
                "the shared experts' width " + sharedExpertFeedForwardLength + " must be a whole number of experts of width "
                        + expertFeedForwardLength);
        require(architecture.hasLeadingDenseLayers() || leadingDenseLayers == 0,
                architecture.ggufName() + " has no leading dense blocks");
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new ModelConfigException(message);
        }
    }

    public boolean isMoe() {
        return expertCount > 0;
    }

    /**
     * The blocks with routed experts, numbered from 0 ("routed layers"): every block of a MoE model
     * but its leading dense ones. The expert cache, predictors, traces and expert metrics count
     * layers this way, so a DeepSeek-MoE's dense first block takes no room in them.
     */
    public int routedLayers() {
        return isMoe() ? layers - leadingDenseLayers : 0;
    }

    /** Whether block {@code block} routes its tokens to experts (else it has a dense FFN). */
    public boolean isRoutedBlock(int block) {
        return isMoe() && block >= leadingDenseLayers;
    }

    /** The routed layer number of block {@code block}, which must route. */
    public int routedLayerOf(int block) {
        return block - leadingDenseLayers;
    }

    /** The block of routed layer {@code routedLayer}. */
    public int blockOfRoutedLayer(int routedLayer) {
        return routedLayer + leadingDenseLayers;
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

    public ModelConfig withVocabSize(int vocab) {
        return new ModelConfig(architecture, name, contextLength, dim, layers, headCount, kvHeadCount, headDimK,
                headDimV, feedForwardLength, expertCount, expertUsedCount, expertFeedForwardLength,
                sharedExpertFeedForwardLength, leadingDenseLayers, normalizeTopK, rmsEps, ropeFreqBase, ropeDimensions, ropeScaling, vocab);
    }
}
