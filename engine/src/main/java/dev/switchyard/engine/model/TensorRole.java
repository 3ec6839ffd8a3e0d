package dev.switchyard.engine.model;

/**
 * What a tensor is for, which decides the type it is stored in: llama.cpp keeps norms, biases and
 * routers in F32 whatever the file's quantization, and quantizes the matrices.
 */
public enum TensorRole {
    /** Token embedding table. */
    EMBEDDING,
    /** RMSNorm weights (vectors, F32). */
    NORM,
    /** Projection biases (vectors, F32). */
    BIAS,
    /** Expert router and shared-expert gate (F32, small, precision-sensitive). */
    ROUTER,
    /** Attention and dense FFN matrices. */
    WEIGHT,
    /** Routed expert matrices, stacked [in, out, experts]. */
    EXPERT,
    /** Output head (absent when tied to the embedding). */
    OUTPUT,
    /** Each rotating pair's frequency divisor ({@code rope_freqs}: Llama 3.1's scaling; F32). */
    ROPE_FACTORS,
    /** A convolution block's kernel ({@code shortconv.conv}: LFM2; F32, its rows a few taps long). */
    CONVOLUTION,
    /**
     * A recurrent block's per-head decay rate ({@code ssm_a}: Qwen3.5's delta net, Mamba2; F32, stored as
     * -exp(A_log), so negative).
     */
    DECAY,
    /** A Mamba2 block's per-head skip, the share of its input added to its output ({@code ssm_d}; F32). */
    SKIP;

    public boolean isAlwaysF32() {
        return this == NORM || this == BIAS || this == ROUTER || this == ROPE_FACTORS || this == CONVOLUTION
                || this == DECAY || this == SKIP;
    }
}
