package dev.switchyard.engine.model;

/**
 * The scalar multipliers IBM's Granite families put where other families put none: on the token
 * embeddings, on each block's two residual branches (attention's output and the FFN's, routed
 * experts included) before they join the residual stream, as the attention softmax's scale in
 * place of 1/sqrt(key width), and as a divisor of the logits. llama.cpp reads them from
 * {@code embedding_scale}, {@code residual_scale}, {@code attention.scale} and
 * {@code logit_scale}; {@link #NONE} for every other family.
 *
 * @param embedding factor on each token's embedding
 * @param residual  factor on each residual branch
 * @param attention the softmax scale of attention scores; 0 for 1/sqrt(key width)
 * @param logit     the logits are divided by it
 */
public record ScaleFactors(double embedding, double residual, double attention, double logit) {

    /** No multipliers. */
    public static final ScaleFactors NONE = new ScaleFactors(1, 1, 0, 1);

    public ScaleFactors {
        positive(embedding, "embedding_scale");
        positive(residual, "residual_scale");
        positive(logit, "logit_scale");
        if (!Double.isFinite(attention) || attention < 0) {
            throw new ModelConfigException("attention.scale must be 0 (for 1/sqrt(key width)) or positive, got "
                    + attention);
        }
    }

    private static void positive(double value, String key) {
        if (!Double.isFinite(value) || value <= 0) {
            throw new ModelConfigException(key + " must be positive, got " + value);
        }
    }

    /**
     * AFMoE's only multiplier (its muP): token embeddings times the square root of the model's
     * width, rounded to float as llama.cpp computes it.
     */
    public static ScaleFactors widthScaledEmbeddings(int dim) {
        return new ScaleFactors((float) Math.sqrt(dim), 1, 0, 1);
    }

    /** Whether each residual branch is scaled. */
    public boolean scalesResiduals() {
        return residual != 1.0;
    }
}
