package dev.switchyard.engine.forward;

import dev.switchyard.kernels.Weight;

/**
 * One block's latent attention tensors (DeepSeek-V2): the query's low-rank path ({@code queryDown},
 * its norm and {@code queryUp}; all null where queries come straight from the block's {@code wq}),
 * the projection to the key/value latent and the shared rotary key with the latent's norm, and the
 * per-head stacks that decompress keys ({@code keyUp}: a head's non-rotary query -> latent space)
 * and values ({@code valueUp}: latent -> a head's value).
 */
record LatentAttentionWeights(
        Weight queryDown,
        float[] queryNorm,
        Weight queryUp,
        Weight latentDown,
        float[] latentNorm,
        Weight keyUp,
        Weight valueUp) {
}
