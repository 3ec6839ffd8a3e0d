package dev.switchyard.engine.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The model families Switchyard runs, by their {@code general.architecture} name in GGUF, with what
 * distinguishes their forward passes. Mixtral is {@code llama} with experts, as llama.cpp writes it;
 * {@code deepseek} is DeepSeek-MoE (the first DeepSeek MoE generation, multi-head attention);
 * {@code deepseek2} is DeepSeek-V2 and V2-Lite, with multi-head latent attention (and DeepSeek-V3,
 * R1 and Kimi-K2, which route differently); {@code glm4moe} is GLM-4.5 and GLM-4.5-Air;
 * {@code gpt-oss} is OpenAI's gpt-oss-20b and gpt-oss-120b; {@code granite} and {@code granitemoe} are
 * IBM's Granite 3 models, dense and MoE (1B-A400M, 3B-A800M): Llama's blocks with
 * {@link ScaleFactors}; {@code llama4} is Meta's Llama 4 Scout and Maverick (their text model):
 * blocks varying with depth ({@link LayerPattern}), one shared expert beside the routed ones, and
 * sigmoid routing whose weights multiply the chosen experts' inputs; {@code ernie4_5-moe} is Baidu's
 * ERNIE 4.5 MoE (21B-A3B, 300B-A47B): dense leading blocks, experts every
 * {@code interleave_moe_layer_step}-th block after them, softmax routing ranked with a selection
 * bias, and a shared expert of a stated width; {@code dots1} is rednote's dots.llm1 (142B-A14B):
 * DeepSeek-V3's MoE (dense leading blocks, expert-wide shared experts, routing as the file states
 * it) under Qwen3's attention (per-head QK-norm, neox rotation); {@code minimax-m2} is MiniMax-M2
 * (230B-A10B): queries and keys RMS-normed over their whole projections, part of each head rotated
 * (neox), and sigmoid routing ranked with a selection bias, weights renormalized; {@code qwen3vl}
 * and {@code qwen3vlmoe} are Qwen3-VL's language models, dense and MoE, Qwen3's and Qwen3-MoE's
 * blocks with multimodal rotary sections ({@link RopeSections}), run on text; {@code hunyuan-moe}
 * is Tencent's Hunyuan-A13B: queries and keys normed per head after their rotation, not before,
 * and a shared expert beside softmax-routed ones; {@code bailingmoe2} is Ant Group's Ling 2.0 and Ring
 * 2.0 (16B-A1.4B, 100B-A6B, 1T): one fused query-key-value projection, per-head QK-norm before a
 * partial neox rotation, dense leading blocks, shared experts, and routing as the file states it;
 * {@code bailingmoe} is Ling 1 (Ling-lite, Ling-plus): Llama's attention, shared experts beside
 * softmax-routed ones in every block; {@code afmoe} is Arcee's Trinity (Nano, Mini, Large): token embeddings times the square root of
 * the width, attention output behind a sigmoid gate, each branch's output RMS-normed before it joins
 * the residual stream, three windowed rotated blocks to one global unrotated block, and routing as
 * the file states it; {@code lfm2} and {@code lfm2moe} are Liquid AI's LFM2 (350M to 2.6B) and
 * LFM2-MoE (8B-A1B, 24B-A2B): most blocks convolve over their last few positions instead of attending
 * ({@link ConvolutionBlocks}), the others attend with per-head QK-norm and neox rotation, and
 * LFM2-MoE routes by sigmoid ranked with a selection bias after dense leading blocks;
 * {@code exaone-moe} is LG's K-EXAONE (236B-A23B): three windowed rotated blocks to one global
 * block without rotary positions, per-head QK-norm, dense leading blocks, a shared expert of a
 * stated width, and routing as the file states it; {@code qwen35moe} and {@code qwen35} are Qwen3.5's
 * and Qwen3.6's MoE and dense models, {@code qwen3next} is Qwen3-Next (80B-A3B): three blocks of
 * every four mix their tokens by a gated delta rule over a state each sequence carries
 * ({@link DeltaNet}) instead of attending, the fourth attends with per-head QK-norm, part of each head
 * rotated (neox), and its output behind a sigmoid gate that its query projection makes beside the
 * queries; the MoE ones route by softmax, weights renormalized, beside a sigmoid-gated shared expert;
 * {@code granitehybrid} is IBM's Granite 4.0-H (Micro, Tiny 7B-A1B, Small 32B-A9B): most blocks mix
 * their tokens by Mamba2's selective scan over a state each sequence carries ({@link Mamba2}), the
 * others attend without rotary positions, each followed by Granite's FFN or softmax-routed experts
 * beside a shared expert, with Granite's {@link ScaleFactors}; {@code nemotron_h_moe} and
 * {@code nemotron_h} are NVIDIA's Nemotron-H family (Nemotron 3 Nano 30B-A3B, the dense Nemotron-H
 * models): each block runs one part only, Mamba2's scan, attention without rotary positions, or an
 * FFN of squared ReLU without a gate (the MoE one sigmoid-routed experts, ranked with a selection
 * bias, beside a shared expert of the same kind).
 */
public enum Architecture {
    LLAMA("llama", RopeLayout.NORMAL, QkNorm.NONE, false, SharedExpert.NONE, true),
    QWEN2("qwen2", RopeLayout.NEOX, QkNorm.NONE, true, SharedExpert.NONE, false),
    QWEN3("qwen3", RopeLayout.NEOX, QkNorm.PER_HEAD, false, SharedExpert.NONE, true),
    QWEN2MOE("qwen2moe", RopeLayout.NEOX, QkNorm.NONE, true, SharedExpert.SIGMOID_GATED, false),
    QWEN3MOE("qwen3moe", RopeLayout.NEOX, QkNorm.PER_HEAD, false, SharedExpert.NONE, true),
    OLMOE("olmoe", RopeLayout.NEOX, QkNorm.WHOLE_VECTOR, false, SharedExpert.NONE, false),
    DEEPSEEK("deepseek", RopeLayout.NORMAL, QkNorm.NONE, false, SharedExpert.UNGATED, false),
    DEEPSEEK2("deepseek2", RopeLayout.NORMAL, QkNorm.NONE, false, SharedExpert.UNGATED, false),
    GLM4MOE("glm4moe", RopeLayout.NEOX, QkNorm.PER_HEAD, true, SharedExpert.UNGATED, false),
    GPT_OSS("gpt-oss", RopeLayout.NEOX, QkNorm.NONE, true, SharedExpert.NONE, true),
    GRANITE("granite", RopeLayout.NORMAL, QkNorm.NONE, false, SharedExpert.NONE, true),
    GRANITE_MOE("granitemoe", RopeLayout.NORMAL, QkNorm.NONE, false, SharedExpert.UNGATED, true),
    LLAMA4("llama4", RopeLayout.NORMAL, QkNorm.NONE, false, SharedExpert.UNGATED, false),
    ERNIE4_5_MOE("ernie4_5-moe", RopeLayout.NORMAL, QkNorm.NONE, false, SharedExpert.UNGATED, true),
    DOTS1("dots1", RopeLayout.NEOX, QkNorm.PER_HEAD, false, SharedExpert.UNGATED, false),
    MINIMAX_M2("minimax-m2", RopeLayout.NEOX, QkNorm.WHOLE_VECTOR, false, SharedExpert.NONE, true),
    QWEN3VL("qwen3vl", RopeLayout.NEOX, QkNorm.PER_HEAD, false, SharedExpert.NONE, true),
    QWEN3VLMOE("qwen3vlmoe", RopeLayout.NEOX, QkNorm.PER_HEAD, false, SharedExpert.NONE, true),
    HUNYUAN_MOE("hunyuan-moe", RopeLayout.NEOX, QkNorm.PER_HEAD, false, SharedExpert.UNGATED, true),
    BAILINGMOE2("bailingmoe2", RopeLayout.NEOX, QkNorm.PER_HEAD, false, SharedExpert.UNGATED, false),
    AFMOE("afmoe", RopeLayout.NEOX, QkNorm.PER_HEAD, false, SharedExpert.UNGATED, false),
    BAILINGMOE("bailingmoe", RopeLayout.NORMAL, QkNorm.NONE, false, SharedExpert.UNGATED, false),
    LFM2("lfm2", RopeLayout.NEOX, QkNorm.PER_HEAD, false, SharedExpert.NONE, true),
    LFM2MOE("lfm2moe", RopeLayout.NEOX, QkNorm.PER_HEAD, false, SharedExpert.NONE, true),
    EXAONE_MOE("exaone-moe", RopeLayout.NEOX, QkNorm.PER_HEAD, false, SharedExpert.UNGATED, true),
    QWEN35MOE("qwen35moe", RopeLayout.NEOX, QkNorm.PER_HEAD, false, SharedExpert.SIGMOID_GATED, true),
    QWEN35("qwen35", RopeLayout.NEOX, QkNorm.PER_HEAD, false, SharedExpert.NONE, true),
    QWEN3NEXT("qwen3next", RopeLayout.NEOX, QkNorm.PER_HEAD, false, SharedExpert.SIGMOID_GATED, true),
    GRANITE_HYBRID("granitehybrid", RopeLayout.NORMAL, QkNorm.NONE, false, SharedExpert.UNGATED, true),
    NEMOTRON_H_MOE("nemotron_h_moe", RopeLayout.NORMAL, QkNorm.NONE, false, SharedExpert.UNGATED, false),
    NEMOTRON_H("nemotron_h", RopeLayout.NORMAL, QkNorm.NONE, false, SharedExpert.NONE, false),
    KIMI_LINEAR("kimi-linear", RopeLayout.NORMAL, QkNorm.NONE, false, SharedExpert.UNGATED, true),
    MIMO2("mimo2", RopeLayout.NEOX, QkNorm.NONE, false, SharedExpert.NONE, true);

    /** How RoPE pairs dimensions: adjacent pairs (NORMAL) or the two halves of a head (NEOX). */
    public enum RopeLayout { NORMAL, NEOX }

    /** RMSNorm on queries and keys: none, per head (Qwen3), or over the whole projection (OLMoE). */
    public enum QkNorm { NONE, PER_HEAD, WHOLE_VECTOR }

    /**
     * The always-on expert beside the routed ones in every MoE layer: none; one behind a sigmoid
     * gate of its own (Qwen2-MoE); or the sum of a few ungated ones stored as one wider FFN
     * (DeepSeek-MoE).
     */
    public enum SharedExpert { NONE, SIGMOID_GATED, UNGATED }

    private final String ggufName;
    private final RopeLayout ropeLayout;
    private final QkNorm qkNorm;
    private final boolean attentionBias;
    private final SharedExpert sharedExpert;
    private final boolean normalizeTopKByDefault;

    Architecture(String ggufName, RopeLayout ropeLayout, QkNorm qkNorm, boolean attentionBias,
                 SharedExpert sharedExpert, boolean normalizeTopKByDefault) {
        this.ggufName = ggufName;
        this.ropeLayout = ropeLayout;
        this.qkNorm = qkNorm;
        this.attentionBias = attentionBias;
        this.sharedExpert = sharedExpert;
        this.normalizeTopKByDefault = normalizeTopKByDefault;
    }

    /** The value of {@code general.architecture}, also the prefix of its hyper-parameter keys. */
    public String ggufName() {
        return ggufName;
    }

    public RopeLayout ropeLayout() {
        return ropeLayout;
    }

    public QkNorm qkNorm() {
        return qkNorm;
    }

    /** Whether q, k and v projections carry a bias (Qwen2 family). */
    public boolean attentionBias() {
        return attentionBias;
    }

    /** What MoE layers add beside the routed experts. */
    public SharedExpert sharedExpert() {
        return sharedExpert;
    }

    /** Whether MoE layers add an always-on shared expert (Qwen2-MoE, DeepSeek-MoE). */
    public boolean hasSharedExpert() {
        return sharedExpert != SharedExpert.NONE;
    }

    /**
     * Whether files of this family may start with dense layers before the MoE ones
     * ({@code leading_dense_block_count}: the DeepSeek families, GLM-4.5).
     */
    public boolean hasLeadingDenseLayers() {
        return this == DEEPSEEK || this == DEEPSEEK2 || this == GLM4MOE || this == ERNIE4_5_MOE || this == DOTS1
                || this == BAILINGMOE2 || this == AFMOE || this == LFM2MOE || this == EXAONE_MOE || this == KIMI_LINEAR
                || this == MIMO2;
    }

    /**
     * Whether the family's files may leave out some of its parts: attention biases, QK-norm and the
     * shared expert (GLM-4.5-Air has no QK-norm where GLM-4.5 has).
     */
    public boolean hasOptionalParts() {
        return this == GLM4MOE;
    }

    /**
     * The name of the norm before each block's FFN: {@code ffn_norm}, or {@code post_attention_norm}
     * as llama.cpp names GLM-4.5's.
     */
    public String ffnNormName() {
        // Nemotron-H's FFN blocks run alone, normed by their one norm
        return separatesFeedForward() ? "attn_norm"
                : this == GLM4MOE || this == GPT_OSS || hasDeltaNetBlocks() ? "post_attention_norm" : "ffn_norm";
    }

    /**
     * Whether blocks carry gpt-oss's extras: a bias on the attention output, one learned sink logit
     * per query head ({@code attn_sinks}), biases on the router and on every expert's three
     * projections, and the clamped SwiGLU ({@code ffn_gate * sigmoid(1.702 ffn_gate) * (ffn_up + 1)},
     * both clamped at 7) in place of SiLU.
     */
    public boolean hasGptOssBlocks() {
        return this == GPT_OSS;
    }

    /**
     * Whether some blocks attend through a sliding window ({@code attention.sliding_window}): in
     * gpt-oss every other block, the first among them; in AFMoE and K-EXAONE three blocks of every
     * four, all but the fourth; the others attend to every position.
     */
    public boolean slidesWindows() {
        return this == GPT_OSS || this == AFMOE || this == EXAONE_MOE || this == MIMO2;
    }

    /**
     * Whether a file of this family lists its windowed blocks ({@code attention.sliding_window_pattern},
     * required) and gives them KV heads and a rotary base of their own ({@link WindowLayout}: MiMo-V2),
     * rather than the family placing them by a fixed rule.
     */
    public boolean listsWindowedBlocks() {
        return this == MIMO2;
    }

    /** Whether attention outputs are multiplied by {@code attention.value_scale} where the file states it (MiMo-V2). */
    public boolean scalesAttentionValues() {
        return this == MIMO2;
    }

    /** Whether block {@code block} of a family that {@link #slidesWindows} is one of its windowed blocks. */
    public boolean windowedBlock(int block) {
        return this == GPT_OSS ? block % 2 == 0
                : (this == AFMOE || this == EXAONE_MOE) && (block + 1) % GLOBAL_BLOCK_STEP != 0;
    }

    /** Every how many blocks one attends globally, unrotated, in AFMoE (llama.cpp's fixed 4) and K-EXAONE. */
    public static final int GLOBAL_BLOCK_STEP = 4;

    /** Whether a file of this family may state a window of 0: no windowed blocks at all (AFMoE). */
    public boolean mayLeaveWindowsOut() {
        return this == AFMOE;
    }

    /**
     * Whether each block's attention output passes a sigmoid gate of its own projection of the
     * block's normed input ({@code attn_gate}) before the output projection (AFMoE).
     */
    public boolean gatesAttentionOutput() {
        return this == AFMOE;
    }

    /**
     * Whether each block RMS-norms its attention and FFN branches' outputs
     * ({@code post_attention_norm}, {@code post_ffw_norm}) before they join the residual stream (AFMoE).
     */
    public boolean normsBranchOutputs() {
        return this == AFMOE;
    }

    /** Whether token embeddings are multiplied by the square root of the model's width (AFMoE's muP). */
    public boolean scalesEmbeddingsByWidth() {
        return this == AFMOE;
    }

    /**
     * Whether block_count counts multi-token-prediction blocks after the model's own
     * ({@code nextn_predict_layers}: GLM-4.5, Ling 2.0, and DeepSeek-V3's and GLM-4.7-Flash's files
     * where they keep theirs); they are not run.
     */
    public boolean hasPredictionBlocks() {
        return this == GLM4MOE || this == BAILINGMOE2 || this == DEEPSEEK2 || this == EXAONE_MOE || this == QWEN35MOE
                || this == QWEN35 || this == NEMOTRON_H_MOE || this == MIMO2;
    }

    /**
     * Whether files of this family state their routing ({@code expert_gating_func}, expert groups,
     * {@code expert_weights_scale}; see {@link ExpertRouting}) rather than route by softmax top-k.
     */
    public boolean statesRouting() {
        return this == DEEPSEEK2 || this == GLM4MOE || this == DOTS1 || this == MINIMAX_M2 || this == BAILINGMOE2
                || this == AFMOE || this == BAILINGMOE || this == LFM2MOE || this == EXAONE_MOE || this == KIMI_LINEAR;
    }

    /** Whether attention is multi-head latent attention ({@link LatentAttention}). */
    public boolean latentAttention() {
        return this == DEEPSEEK2 || this == KIMI_LINEAR;
    }

    /**
     * Whether files of this family carry the routed experts' width under its own key
     * ({@code expert_feed_forward_length}); the others reuse {@code feed_forward_length}.
     */
    public boolean hasSeparateExpertWidth() {
        return this == QWEN2MOE || this == QWEN3MOE || this == DEEPSEEK || this == DEEPSEEK2 || this == GLM4MOE
                || this == GPT_OSS || this == LLAMA4 || this == ERNIE4_5_MOE || this == DOTS1 || this == MINIMAX_M2
                || this == QWEN3VLMOE || this == HUNYUAN_MOE || this == BAILINGMOE2 || this == AFMOE || this == BAILINGMOE
                || this == LFM2MOE || this == EXAONE_MOE || this == QWEN35MOE || this == QWEN3NEXT || this == NEMOTRON_H_MOE
                || this == KIMI_LINEAR || this == MIMO2;
    }

    /**
     * Whether the routed experts' width key ({@code expert_feed_forward_length}) is required, as
     * llama.cpp requires it of the families with dense leading blocks, Llama 4, MiniMax-M2, Hunyuan
     * and Ling 1; the others fall back on a width derived from the dense one.
     */
    public boolean requiresExpertWidth() {
        return hasLeadingDenseLayers() || this == LLAMA4 || this == MINIMAX_M2 || this == HUNYUAN_MOE || this == BAILINGMOE
                || this == NEMOTRON_H_MOE;
    }

    /**
     * Whether queries, keys and values come from one fused projection ({@code attn_qkv}: their rows
     * stacked in that order), as Ling 2.0's files have them.
     */
    public boolean fusesQkv() {
        return this == BAILINGMOE2;
    }

    /**
     * Whether some blocks convolve instead of attending ({@link ConvolutionBlocks}: LFM2), named by
     * 0 in {@code attention.head_count_kv}.
     */
    public boolean hasConvolutionBlocks() {
        return this == LFM2 || this == LFM2MOE;
    }

    /**
     * Whether most blocks mix their tokens by a gated delta rule over a per-sequence state instead
     * of attending ({@link DeltaNet}: Qwen3.5, Qwen3-Next), each after a short convolution, and the
     * attention blocks' query projection carries a sigmoid gate on their output beside the queries.
     */
    public boolean hasDeltaNetBlocks() {
        return this == QWEN35MOE || this == QWEN35 || this == QWEN3NEXT;
    }

    /**
     * Whether most blocks run Kimi's delta attention (Kimi-Linear): the gated delta rule with a
     * decay per key channel ({@link DeltaNet#channelGates}), after a short convolution of each of
     * its queries, keys and values, named by a 0 in {@code attention.head_count_kv}; the others
     * attend through latent attention without rotary positions.
     */
    public boolean hasDeltaAttentionBlocks() {
        return this == KIMI_LINEAR;
    }

    /** Whether some blocks run a delta rule on a state per sequence ({@link DeltaNet}). */
    public boolean runsDeltaRule() {
        return hasDeltaNetBlocks() || hasDeltaAttentionBlocks();
    }

    /**
     * Whether attention's projections may carry biases, each where the file has it ({@code attn_q},
     * {@code attn_k}, {@code attn_v} and {@code attn_output} biases), as llama.cpp loads Granite
     * 4.0-H's and Nemotron-H's; the released models have none.
     */
    public boolean mayBiasAttention() {
        return hasMamba2Blocks();
    }

    /**
     * Whether some blocks run Mamba2's selective scan over a state each sequence carries instead of
     * attending ({@link Mamba2}: Granite 4.0-H), named by a 0 in {@code attention.head_count_kv}.
     */
    public boolean hasMamba2Blocks() {
        return this == GRANITE_HYBRID || this == NEMOTRON_H_MOE || this == NEMOTRON_H;
    }

    /**
     * Whether each block runs one part only (Nemotron-H): its Mamba2 scan, attention, or an FFN,
     * told apart by its entries of {@code attention.head_count_kv} and {@code feed_forward_length}.
     */
    public boolean separatesFeedForward() {
        return this == NEMOTRON_H_MOE || this == NEMOTRON_H;
    }

    /**
     * Whether FFNs, experts and shared experts compute {@code down relu(up x)^2}, with no gate
     * (Nemotron-H), rather than SwiGLU.
     */
    public boolean squaresRelu() {
        return separatesFeedForward();
    }

    /**
     * Whether a file counts its KV heads block by block, 0 where a block does not attend (LFM2,
     * Granite 4.0-H).
     */
    public boolean countsKvHeadsPerBlock() {
        return hasConvolutionBlocks() || hasMamba2Blocks() || hasDeltaAttentionBlocks();
    }

    /**
     * Whether some blocks mix their tokens without attending ({@link #hasConvolutionBlocks},
     * {@link #hasDeltaNetBlocks}, {@link #hasMamba2Blocks}).
     */
    public boolean mixesWithoutAttention() {
        return hasConvolutionBlocks() || hasDeltaNetBlocks() || hasMamba2Blocks() || hasDeltaAttentionBlocks();
    }

    /**
     * The name of the norm before the output head: {@code output_norm}, or {@code token_embd_norm},
     * as llama.cpp names LFM2's.
     */
    public String outputNormName() {
        return hasConvolutionBlocks() ? "token_embd_norm.weight" : "output_norm.weight";
    }

    /**
     * Whether a file of this family must state its gating function ({@code expert_gating_func}), as
     * llama.cpp requires of Ling 2.0 and LFM2-MoE.
     */
    public boolean requiresGatingFunction() {
        return this == BAILINGMOE2 || this == LFM2MOE || this == EXAONE_MOE || this == KIMI_LINEAR;
    }

    /**
     * Whether llama.cpp scales this family's routed weights by {@code expert_weights_scale} where
     * the file states it; LFM2-MoE's forward pass leaves them unscaled whatever it says.
     */
    public boolean scalesRoutedWeights() {
        return this != LFM2MOE;
    }

    /** Whether queries and keys are normed after their rotation rather than before (Hunyuan). */
    public boolean normsQkAfterRope() {
        return this == HUNYUAN_MOE;
    }

    /**
     * Whether a routed expert's weight multiplies its input rather than its output (Llama 4: with
     * SiLU inside, the two differ).
     */
    public boolean weighsExpertInputs() {
        return this == LLAMA4;
    }

    /**
     * Whether files of this family state multimodal rotary sections ({@code rope.dimension_sections},
     * required, as llama.cpp requires them: Qwen3-VL).
     */
    public boolean hasRopeSections() {
        return this == QWEN3VL || this == QWEN3VLMOE || this == QWEN35MOE || this == QWEN35;
    }

    /**
     * Whether files of this family may state consecutive multimodal rotary sections (GLM-4.5V's
     * language model, written as {@code glm4moe}).
     */
    public boolean mayStateRopeSections() {
        return this == GLM4MOE;
    }

    /** Whether files of this family vary their blocks with depth ({@link LayerPattern}). */
    public boolean hasLayerPattern() {
        return this == LLAMA4 || this == ERNIE4_5_MOE || this == AFMOE || this == EXAONE_MOE;
    }

    /**
     * Whether every routed block ranks its experts with a selection bias ({@code exp_probs_b}) over
     * softmax scores (ERNIE 4.5); the sigmoid-routed families' files may have one too.
     */
    public boolean ranksWithSelectionBias() {
        return this == ERNIE4_5_MOE;
    }

    /**
     * Whether every routed block's file must carry its selection bias ({@code exp_probs_b}), as
     * llama.cpp requires of GLM-4.5, ERNIE 4.5 and MiniMax-M2; DeepSeek-V3's files may leave it out.
     */
    public boolean requiresSelectionBias() {
        return this == GLM4MOE || this == MINIMAX_M2 || this == AFMOE || this == LFM2MOE || this == NEMOTRON_H_MOE
                || this == KIMI_LINEAR || ranksWithSelectionBias();
    }

    /**
     * Whether llama.cpp renormalizes this family's chosen experts' weights whatever its file says
     * (gpt-oss's softmax over the chosen experts' logits, ERNIE 4.5, MiniMax-M2, Hunyuan).
     */
    public boolean alwaysNormalizesTopK() {
        return this == GPT_OSS || this == ERNIE4_5_MOE || this == MINIMAX_M2 || this == HUNYUAN_MOE || this == LFM2MOE
                || this == QWEN35MOE || this == QWEN3NEXT || this == GRANITE_HYBRID || this == KIMI_LINEAR || this == MIMO2;
    }

    /** Whether llama.cpp leaves this family's chosen experts' weights as they are whatever its file says (DeepSeek-MoE, Llama 4). */
    public boolean neverNormalizesTopK() {
        return this == DEEPSEEK || this == LLAMA4;
    }

    /**
     * Whether a file of this family that states routing but not its gating function routes by
     * sigmoid (GLM-4.5, MiniMax-M2, AFMoE); the other such families route by softmax then.
     */
    public boolean routesBySigmoidUnlessStated() {
        return this == GLM4MOE || this == MINIMAX_M2 || this == AFMOE;
    }

    /**
     * Whether the top-k router weights are renormalized to sum to one when the file does not say:
     * Mixtral and Qwen3-MoE do (norm_topk_prob), Qwen2-MoE, OLMoE and DeepSeek-MoE do not. gpt-oss
     * takes the softmax of the chosen experts' logits, which is the same thing.
     */
    public boolean normalizeTopKByDefault() {
        return normalizeTopKByDefault;
    }

    /** Whether this family is defined by having experts (it has no dense variant). */
    public boolean requiresExperts() {
        return this == QWEN2MOE || this == QWEN3MOE || this == OLMOE || this == DEEPSEEK || this == DEEPSEEK2
                || this == GLM4MOE || this == GPT_OSS || this == GRANITE_MOE || this == ERNIE4_5_MOE || this == DOTS1
                || this == MINIMAX_M2 || this == QWEN3VLMOE || this == HUNYUAN_MOE || this == BAILINGMOE2 || this == AFMOE
                || this == BAILINGMOE || this == LFM2MOE || this == EXAONE_MOE || this == QWEN35MOE || this == QWEN3NEXT
                || this == NEMOTRON_H_MOE || this == KIMI_LINEAR || this == MIMO2;
    }

    /** Whether this family never has experts. */
    public boolean isDenseOnly() {
        return this == QWEN2 || this == QWEN3 || this == GRANITE || this == QWEN3VL || this == LFM2 || this == QWEN35
                || this == NEMOTRON_H;
    }

    /**
     * Whether a MoE file of this family may have no shared expert: GLM-4.5's may leave it out, and
     * Granite's MoE files have one only where they state its width (GraniteMoeShared).
     */
    public boolean mayLackSharedExpert() {
        return hasOptionalParts() || this == GRANITE_MOE || this == ERNIE4_5_MOE || this == AFMOE || this == EXAONE_MOE
                || this == GRANITE_HYBRID;
    }

    /**
     * Whether files of this family state their shared expert's width itself
     * ({@code expert_shared_feed_forward_length}: Qwen2-MoE, Granite, ERNIE 4.5, Hunyuan) rather than a count of
     * expert-wide shared experts (the DeepSeek families, GLM-4.5) or none (Llama 4's is one expert wide).
     */
    public boolean statesSharedExpertWidth() {
        return sharedExpert == SharedExpert.SIGMOID_GATED || this == GRANITE_MOE || this == ERNIE4_5_MOE
                || this == HUNYUAN_MOE || this == EXAONE_MOE || this == GRANITE_HYBRID || this == NEMOTRON_H_MOE;
    }

    /**
     * Whether files of this family state {@link ScaleFactors} (embedding, residual, attention and
     * logit scales), as llama.cpp requires of the Granite 3 families.
     */
    public boolean statesScaleFactors() {
        return this == GRANITE || this == GRANITE_MOE;
    }

    /**
     * Whether files of this family may state {@link ScaleFactors}, each absent or 0 for none, as
     * llama.cpp reads Granite 4.0-H's.
     */
    public boolean mayStateScaleFactors() {
        return this == GRANITE_HYBRID;
    }

    public static Architecture fromGgufName(String name) {
        for (Architecture a : values()) {
            if (a.ggufName.equals(name)) {
                return a;
            }
        }
        throw new ModelConfigException("unsupported architecture '" + name + "' (supported: " + supportedNames() + ")");
    }

    public static String supportedNames() {
        return Arrays.stream(values()).map(Architecture::ggufName).collect(Collectors.joining(", "));
    }
}
