package dev.switchyard.engine.model;

/**
 * The shape of multi-head latent attention (DeepSeek-V2/V3, {@code deepseek2}), as llama.cpp's
 * latent layout stores it. Keys and values of every head are decompressed from one latent vector
 * per token; Switchyard caches that latent (with the shared rotary key) and attends in latent
 * space, so the cache holds {@code kvLoraRank + rope} floats of keys and {@code kvLoraRank} of
 * values per token and layer whatever the head count.
 *
 * @param qLoraRank         rank of the query's low-rank path ({@code attn_q_a}, {@code attn_q_b}); 0
 *                          when queries come straight from {@code attn_q} (DeepSeek-V2-Lite)
 * @param kvLoraRank        width of the compressed key/value latent
 * @param keyLength         a head's query/key width before absorption: the non-rotary part plus the
 *                          rotary part ({@code attention.key_length_mla})
 * @param valueLength       a head's value width ({@code attention.value_length_mla})
 * @param yarnLogMultiplier {@code rope.scaling.yarn_log_multiplier} as the file states it: llama.cpp's
 *                          converter writes 0.1 x the model's {@code mscale_all_dim} (0.0707 for
 *                          DeepSeek-V2, 0.1 for V3), how much YaRN's context extension sharpens
 *                          the attention softmax; 0 when not stated
 * @param joinedDecompression whether the file stores both decompressions as one {@code attn_kv_b}
 *                          per block, as llama.cpp converted DeepSeek-V2 before it cached the latent
 *                          (they are split into the per-head stacks when the weights load)
 */
public record LatentAttention(int qLoraRank, int kvLoraRank, int keyLength, int valueLength, double yarnLogMultiplier,
                              boolean joinedDecompression) {

    /** A shape in llama.cpp's current layout: {@code attn_k_b} and {@code attn_v_b} stored apart. */
    public LatentAttention(int qLoraRank, int kvLoraRank, int keyLength, int valueLength, double yarnLogMultiplier) {
        this(qLoraRank, kvLoraRank, keyLength, valueLength, yarnLogMultiplier, false);
    }

    public LatentAttention {
        if (qLoraRank < 0 || kvLoraRank < 1 || keyLength < 1 || valueLength < 1) {
            throw new ModelConfigException("latent attention ranks and lengths must be positive (q_lora_rank "
                    + qLoraRank + ", kv_lora_rank " + kvLoraRank + ", key_length_mla " + keyLength
                    + ", value_length_mla " + valueLength + ")");
        }
        if (!Double.isFinite(yarnLogMultiplier) || yarnLogMultiplier < 0) {
            throw new ModelConfigException("rope.scaling.yarn_log_multiplier must be finite and not negative, got "
                    + yarnLogMultiplier);
        }
    }

    /** Whether queries pass through the low-rank path. */
    public boolean queriesThroughLatent() {
        return qLoraRank > 0;
    }

    /**
     * The model's {@code mscale_all_dim}: the stated multiplier with the converter's factor 0.1
     * taken back out, as llama.cpp's loader does.
     */
    public double mscaleAllDim() {
        return yarnLogMultiplier / 0.1;
    }

    /** A head's non-rotary query/key width, given the rotary width. */
    public int nopeLength(int ropeDimensions) {
        return keyLength - ropeDimensions;
    }
}
