package dev.switchyard.engine.modelgen;

import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.engine.model.TensorSpec;

/**
 * The distribution each generated tensor is drawn from, chosen so that random models behave like
 * trained ones where it matters for testing: activations keep unit scale through the residual
 * stream (residual branches scaled by 1/sqrt(2 * layers)), router logits spread wide enough that
 * top-k choices are clear, and output logits have a standard deviation of about 8, so the top-1
 * margin is orders of magnitude above float rounding and two correct implementations decode the same
 * tokens greedily. A family with {@link dev.switchyard.engine.model.ScaleFactors} (Granite) draws the
 * tensors each factor multiplies from a distribution divided by it, so that its model behaves as the
 * others do while every factor is still applied.
 */
record InitScale(double mean, double std) {

    static final double ROUTER_LOGIT_STD = 2.0;
    static final double OUTPUT_LOGIT_STD = 8.0;

    static InitScale forTensor(TensorSpec spec, ModelConfig config) {
        String name = spec.name();
        long fanIn = spec.dims()[0];
        double unit = 1.0 / Math.sqrt(fanIn);
        var factors = config.scales();
        double residual = 1.0 / Math.sqrt(2.0 * config.layers()) / factors.residual();
        return switch (spec.role()) {
            case EMBEDDING -> new InitScale(0, 1.0 / factors.embedding());
            case NORM -> new InitScale(1.0, 0.05);
            // DeepSeek-V3's selection bias is a few tenths, against sigmoid scores about 0.5
            // gpt-oss's sinks are logits of the order of the attention scores they compete with
            case BIAS -> new InitScale(0, name.contains("exp_probs_b") ? 0.2 : name.contains("attn_sinks") ? 1.0 : 0.02);
            case ROUTER -> new InitScale(0, name.contains("shexp") ? unit : ROUTER_LOGIT_STD * unit);
            case OUTPUT -> new InitScale(0, OUTPUT_LOGIT_STD * factors.logit() * unit);
            // not drawn: the generator writes Llama 3.1's factors (LlamaRopeFactors)
            case ROPE_FACTORS -> new InitScale(1.0, 0);
            // LFM2's taps, one row of them per channel: the convolution keeps its input's scale
            case CONVOLUTION -> new InitScale(0, unit);
            // Qwen3.5's decay rates, -exp(A_log): negative, so that each state forgets a little per token,
            // about 7% (a sequence's tokens of twenty positions back still weigh half)
            case DECAY -> new InitScale(-0.1, 0.03);
            // Mamba2's skips, near 1 as trained ones are
            case SKIP -> new InitScale(1.0, 0.1);
            case WEIGHT, EXPERT -> isResidualOutput(name) ? new InitScale(0, residual * unit) : new InitScale(0, unit);
        };
    }

    /** Projections that write back into the residual stream. */
    private static boolean isResidualOutput(String name) {
        return name.contains("attn_output") || name.contains("ffn_down") || name.contains("out_proj")
                || name.contains("ssm_out");
    }
}
