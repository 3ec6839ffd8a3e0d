package dev.switchyard.engine.forward;

import dev.switchyard.engine.model.LatentAttention;
import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.FloatMatrix;

/**
 * Activations latent attention needs beyond a step's usual ones, allocated once for the largest
 * step. The assembled queries, keys, latent (the values) and the attention output in latent space
 * use {@link StepBuffers}' q, k, v and attention, which the configuration sizes for the latent
 * cache.
 */
final class LatentAttentionBuffers {

    final FloatMatrix queries;       // (T, heads x keyLength): each head's non-rotary then rotary query
    final FloatMatrix queryLatent;   // (T, qLoraRank): the low-rank path's inner activation (null without it)
    final FloatMatrix keyLatent;     // (T, kvLoraRank + rope): the latent then the shared rotary key
    final FloatMatrix output;        // (T, heads x valueLength): what attn_output reads

    LatentAttentionBuffers(Backend backend, ModelConfig c, int maxTokens) {
        LatentAttention a = c.latentAttention();
        int heads = c.headCount();
        queries = backend.allocate(maxTokens, heads * a.keyLength());
        queryLatent = a.queriesThroughLatent() ? backend.allocate(maxTokens, a.qLoraRank()) : null;
        keyLatent = backend.allocate(maxTokens, a.kvLoraRank() + c.ropeDimensions());
        output = backend.allocate(maxTokens, c.attentionOutputDim());
    }
}
