package dev.switchyard.engine.lora;

import java.util.Optional;

/**
 * The matrices a LoRA adapter may change: every one the forward pass applies as a plain matrix
 * product, named as GGUF names the base tensor ({@code blk.N.<name>.weight}, or {@code output.weight}
 * for the output head). Routed experts' matrices are stacked, one per expert, and so are their
 * adapters' (a pair per expert, as llama.cpp's converter stacks them). The token embedding (a
 * lookup, not a product) and latent attention's per-head decompressions are not among them.
 */
public enum LoraTarget {
    ATTN_Q("attn_q"),
    ATTN_K("attn_k"),
    ATTN_V("attn_v"),
    ATTN_OUTPUT("attn_output"),
    /** Latent attention's query compression and decompression (DeepSeek-V2/V3). */
    ATTN_Q_A("attn_q_a"),
    ATTN_Q_B("attn_q_b"),
    /** Latent attention's joint key/value compression with the shared rotary key. */
    ATTN_KV_A("attn_kv_a_mqa"),
    FFN_GATE("ffn_gate"),
    FFN_UP("ffn_up"),
    FFN_DOWN("ffn_down"),
    ROUTER("ffn_gate_inp"),
    SHARED_GATE_INPUT("ffn_gate_inp_shexp"),
    SHARED_GATE("ffn_gate_shexp"),
    SHARED_UP("ffn_up_shexp"),
    SHARED_DOWN("ffn_down_shexp"),
    /** Routed experts' gate, up and down projections, stacked per expert. */
    EXPERT_GATE("ffn_gate_exps"),
    EXPERT_UP("ffn_up_exps"),
    EXPERT_DOWN("ffn_down_exps"),
    /** LFM2's convolution blocks' input projection (to B, C and x side by side) and output projection. */
    CONV_IN("shortconv.in_proj"),
    CONV_OUT("shortconv.out_proj"),
    /**
     * Qwen3.5's and Qwen3-Next's delta-net blocks' projections: to queries, keys and values (a fused
     * projection by name, which in Ling 2.0's attention is not adapted), to the output gate (AFMoE's
     * attention output gate by the same name is not), to the betas and the alphas (Qwen3-Next: both
     * in one), and back.
     */
    DELTA_QKV("attn_qkv"),
    DELTA_GATE("attn_gate"),
    DELTA_BETA("ssm_beta"),
    DELTA_ALPHA("ssm_alpha"),
    DELTA_BETA_ALPHA("ssm_ba"),
    DELTA_OUT("ssm_out"),
    /** The output head, not a block's. */
    OUTPUT("output");

    private final String tensor;

    LoraTarget(String tensor) {
        this.tensor = tensor;
    }

    /** The base tensor's name without its block prefix and {@code .weight} suffix. */
    public String tensor() {
        return tensor;
    }

    public boolean perBlock() {
        return this != OUTPUT;
    }

    /** Whether the matrix is a stack of one per routed expert (and its adapter a stack of pairs). */
    public boolean perExpert() {
        return this == EXPERT_GATE || this == EXPERT_UP || this == EXPERT_DOWN;
    }

    /** The base tensor's full name in block {@code layer} (ignored for the output head). */
    public String baseName(int layer) {
        return perBlock() ? "blk." + layer + "." + tensor + ".weight" : tensor + ".weight";
    }

    /** The target a short name ({@code attn_q}) stands for, if any. */
    public static Optional<LoraTarget> ofTensor(String name) {
        for (LoraTarget t : values()) {
            if (t.tensor.equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** Why a base tensor of this short name cannot be adapted, for the error a user reads. */
    static String whyNot(String name) {
        if (name.equals("token_embd")) {
            return "adapters on the token embedding are not supported";
        }
        if (name.equals("attn_k_b") || name.equals("attn_v_b") || name.equals("attn_kv_b")) {
            return "adapters on latent attention's per-head decompressions are not supported";
        }
        return "no matrix of that name is applied as a product, so an adapter on it cannot be";
    }
}
