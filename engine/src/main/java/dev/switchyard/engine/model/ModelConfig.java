package dev.switchyard.engine.model;

/**
 * The hyper-parameters of one model, as its file states them (see {@link ModelConfigReader}).
 *
 * @param dim                 embedding length (hidden size)
 * @param feedForwardLength   dense FFN width ({@code feed_forward_length}); for Mixtral and OLMoE the
 *                            same key is the expert width
 * @param expertCount         0 for a dense model
 * @param expertFeedForwardLength width of one routed expert's FFN
 * @param sharedExpertFeedForwardLength width of the shared expert (Qwen2-MoE), else 0
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
        } else {
            require(feedForwardLength >= 1, "feed_forward_length must be positive");
        }
        require(!architecture.requiresExperts() || expertCount > 0,
                architecture.ggufName() + " is a mixture-of-experts family but expert_count is 0");
        require(!architecture.isDenseOnly() || expertCount == 0,
                architecture.ggufName() + " has no experts but expert_count is " + expertCount);
        require(!architecture.sharedExpert() || sharedExpertFeedForwardLength >= 1,
                architecture.ggufName() + " needs a shared expert feed-forward length");
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new ModelConfigException(message);
        }
    }

    public boolean isMoe() {
        return expertCount > 0;
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
                sharedExpertFeedForwardLength, normalizeTopK, rmsEps, ropeFreqBase, ropeDimensions, ropeScaling, vocab);
    }
}
