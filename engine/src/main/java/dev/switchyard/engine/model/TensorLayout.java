package dev.switchyard.engine.model;

import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufTensorInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The tensors a configuration implies, named and shaped exactly as llama.cpp's loader expects, so
 * that files Switchyard writes run in llama.cpp and llama.cpp's files run here. The generator writes
 * this list; {@link #validate} checks a file against it. Dims are ggml order (contiguous first):
 * a projection from n to d is {@code [n, d]}, stacked experts are {@code [n, d, experts]}.
 */
public final class TensorLayout {

    /** The tensor of each rotating pair's frequency divisor, where a file has one. */
    public static final String ROPE_FACTORS = "rope_freqs.weight";
    /** A block's attention output gate (after {@code blk.N.}), where its family has one (AFMoE). */
    public static final String ATTENTION_GATE = "attn_gate.weight";
    /** The norms of a block's attention and FFN branch outputs (after {@code blk.N.}), where its family has them. */
    public static final String ATTENTION_POST_NORM = "post_attention_norm.weight";
    public static final String FFN_POST_NORM = "post_ffw_norm.weight";
    /**
     * A convolution block's tensors (after {@code blk.N.}; LFM2): the kernel, {@code [length, dim]}
     * (each channel's taps in a row, the oldest position's first), the projection to B, C and x
     * stacked in that order, and the projection back.
     */
    public static final String CONV_KERNEL = "shortconv.conv.weight";
    public static final String CONV_IN = "shortconv.in_proj.weight";
    public static final String CONV_OUT = "shortconv.out_proj.weight";
    /** A block's fused query-key-value projection (after {@code blk.N.}), where its family has one. */
    public static final String FUSED_QKV = "attn_qkv.weight";
    /**
     * A delta-net block's tensors (after {@code blk.N.}; Qwen3.5, Qwen3-Next), besides its
     * queries-keys-values projection ({@link #FUSED_QKV}) and its output gate's ({@link #ATTENTION_GATE}):
     * the projections to each value head's beta and alpha logits (one of them stacked per key head's
     * group in Qwen3-Next: {@link #DELTA_BETA_ALPHA}), the convolution's kernel
     * {@code [length, channels]}, each head's decay bias and rate (the rate stored as -exp(A_log)),
     * the gated norm's weight, a head wide, and the projection back.
     */
    public static final String DELTA_BETA = "ssm_beta.weight";
    public static final String DELTA_ALPHA = "ssm_alpha.weight";
    public static final String DELTA_BETA_ALPHA = "ssm_ba.weight";
    public static final String DELTA_CONV = "ssm_conv1d.weight";
    public static final String DELTA_DT_BIAS = "ssm_dt.bias";
    public static final String DELTA_DECAY = "ssm_a";
    public static final String DELTA_NORM = "ssm_norm.weight";
    public static final String DELTA_OUT = "ssm_out.weight";
    /**
     * A Mamba2 block's own tensors (after {@code blk.N.}; Granite 4.0-H), besides the convolution's
     * kernel, each head's step bias and decay rate, the norm's weight and the projection back, named
     * as the delta net's are: the projection to the gate, the convolved channels and each head's step
     * ({@code [dim, 2 inner + 2 groups state + heads]}, in that order), the convolution's bias, and each
     * head's skip.
     */
    public static final String MAMBA_IN = "ssm_in.weight";
    /**
     * Kimi-Linear's delta-attention tensors (after {@code blk.N.}) besides its {@code attn_q},
     * {@code attn_k}, {@code attn_v}, {@code attn_output}, beta projection, decay biases (one per
     * channel) and rates (one per head), and norm: the kernels of the queries', keys' and values'
     * convolutions ({@code [length, 1, channels]}), and the low-rank pairs, a head wide in between,
     * to the decays' inputs ({@code ssm_f_a}, {@code ssm_f_b}) and to the output gate
     * ({@code ssm_g_a}, {@code ssm_g_b}).
     */
    public static final String KDA_CONV_Q = "ssm_conv1d_q.weight";
    public static final String KDA_CONV_K = "ssm_conv1d_k.weight";
    public static final String KDA_CONV_V = "ssm_conv1d_v.weight";
    public static final String KDA_DECAY_DOWN = "ssm_f_a.weight";
    public static final String KDA_DECAY_UP = "ssm_f_b.weight";
    public static final String KDA_GATE_DOWN = "ssm_g_a.weight";
    public static final String KDA_GATE_UP = "ssm_g_b.weight";
    /** Nemotron 3 Super's projections (after {@code blk.N.}) of its experts' inputs to their latent width, and back. */
    public static final String LATENT_DOWN = "ffn_latent_down.weight";
    public static final String LATENT_UP = "ffn_latent_up.weight";
    public static final String MAMBA_CONV_BIAS = "ssm_conv1d.bias";
    public static final String MAMBA_SKIP = "ssm_d";

    private TensorLayout() {
    }

    public static List<TensorSpec> expectedTensors(ModelConfig c) {
        if (c.vocabSize() <= 0) {
            throw new ModelConfigException("vocabulary size is unknown: the file has no tokenizer.ggml.tokens");
        }
        List<TensorSpec> out = new ArrayList<>();
        out.add(spec("token_embd.weight", TensorRole.EMBEDDING, c.dim(), c.vocabSize()));
        for (int l = 0; l < c.layers(); l++) {
            String b = "blk." + l + ".";
            out.add(spec(b + "attn_norm.weight", TensorRole.NORM, c.dim()));
            if (c.convolution().isFeedForwardOnly(l)) {
                feedForward(c, l, b, out);
                continue;
            }
            if (c.convolution().deltaNet() != null && c.isConvolutionBlock(l)) {
                deltaNet(c, b, out);
                feedForward(c, l, b, out);
                continue;
            }
            if (c.convolution().mamba2() != null && c.isConvolutionBlock(l)) {
                mamba2(c, b, out);
                if (c.feedsForward(l)) {
                    feedForward(c, l, b, out);
                }
                continue;
            }
            if (c.isConvolutionBlock(l)) {
                out.add(spec(b + CONV_KERNEL, TensorRole.CONVOLUTION, c.convolution().length(), c.dim()));
                out.add(spec(b + CONV_IN, TensorRole.WEIGHT, c.dim(), 3L * c.dim()));
                out.add(spec(b + CONV_OUT, TensorRole.WEIGHT, c.dim(), c.dim()));
                feedForward(c, l, b, out);
                continue;
            }
            if (c.latentAttention() != null) {
                latentAttention(c, b, out);
            } else if (c.architecture().fusesQkv()) {
                // queries', keys' and values' rows stacked in one matrix
                out.add(spec(b + FUSED_QKV, TensorRole.WEIGHT, c.dim(), (long) c.qDim() + c.kvDimK() + c.kvDimV()));
            } else {
                // Qwen3.5's queries come with their output gate: per head, the query's rows, then the gate's
                long queries = c.architecture().hasDeltaNetBlocks() ? 2L * c.qDim() : c.qDim();
                out.add(spec(b + "attn_q.weight", TensorRole.WEIGHT, c.dim(), queries));
                // MiMo-V2's windowed blocks have KV heads of their own
                out.add(spec(b + "attn_k.weight", TensorRole.WEIGHT, c.dim(), (long) c.kvHeadCount(l) * c.headDimK()));
                out.add(spec(b + "attn_v.weight", TensorRole.WEIGHT, c.dim(), (long) c.kvHeadCount(l) * c.headDimV()));
            }
            boolean optional = c.architecture().hasOptionalParts();
            if (c.architecture().attentionBias() || c.architecture().mayBiasAttention()) {
                boolean maybe = optional || c.architecture().mayBiasAttention();
                out.add(new TensorSpec(b + "attn_q.bias", new long[] {c.qDim()}, TensorRole.BIAS, maybe));
                out.add(new TensorSpec(b + "attn_k.bias", new long[] {c.kvDimK()}, TensorRole.BIAS, maybe));
                out.add(new TensorSpec(b + "attn_v.bias", new long[] {c.kvDimV()}, TensorRole.BIAS, maybe));
            }
            if (c.architecture().mayBiasAttention()) {
                out.add(new TensorSpec(b + "attn_output.bias", new long[] {c.dim()}, TensorRole.BIAS, true));
            }
            switch (c.architecture().qkNorm()) {
                case PER_HEAD -> {
                    out.add(new TensorSpec(b + "attn_q_norm.weight", new long[] {c.headDimK()}, TensorRole.NORM, optional));
                    out.add(new TensorSpec(b + "attn_k_norm.weight", new long[] {c.headDimK()}, TensorRole.NORM, optional));
                }
                case WHOLE_VECTOR -> {
                    out.add(spec(b + "attn_q_norm.weight", TensorRole.NORM, c.qDim()));
                    out.add(spec(b + "attn_k_norm.weight", TensorRole.NORM, c.kvDimK()));
                }
                case NONE -> { }
            }
            out.add(spec(b + "attn_output.weight", TensorRole.WEIGHT, c.attentionOutputDim(), c.dim()));
            if (c.architecture().gatesAttentionOutput()) {
                out.add(spec(b + ATTENTION_GATE, TensorRole.WEIGHT, c.dim(), c.attentionOutputDim()));
            }
            if (c.architecture().normsBranchOutputs()) {
                out.add(spec(b + ATTENTION_POST_NORM, TensorRole.NORM, c.dim()));
                out.add(spec(b + FFN_POST_NORM, TensorRole.NORM, c.dim()));
            }
            boolean gptOss = c.architecture().hasGptOssBlocks();
            if (gptOss) {
                out.add(spec(b + "attn_output.bias", TensorRole.BIAS, c.dim()));
                out.add(spec(b + "attn_sinks.weight", TensorRole.BIAS, c.headCount()));
            } else if (c.architecture().listsWindowedBlocks() && c.slidingWindow(l) > 0) {
                // MiMo-V2: its windowed blocks' sinks, where the file has them (the full blocks have none)
                out.add(new TensorSpec(b + "attn_sinks.weight", new long[] {c.headCount()}, TensorRole.BIAS, true));
            }
            if (c.feedsForward(l)) {
                feedForward(c, l, b, out);
            }
        }
        out.add(spec(c.architecture().outputNormName(), TensorRole.NORM, c.dim()));
        out.add(new TensorSpec("output.weight", new long[] {c.dim(), c.vocabSize()}, TensorRole.OUTPUT, true));
        if (c.latentAttention() == null && c.ropeDimensions() >= 2) {
            // Llama 3.1 and later: each rotating pair's frequency divisor, for every block alike
            out.add(new TensorSpec(ROPE_FACTORS, new long[] {c.ropeDimensions() / 2}, TensorRole.ROPE_FACTORS, true));
        }
        return out;
    }

    /** A delta-net block's tensors ({@link DeltaNet}), as llama.cpp's Qwen3.5 and Qwen3-Next loaders name them. */
    private static void deltaNet(ModelConfig c, String b, List<TensorSpec> out) {
        DeltaNet net = c.convolution().deltaNet();
        int heads = net.valueHeads();
        if (net.channelGates()) {
            deltaAttention(c, b, net, out);
            return;
        }
        out.add(spec(b + FUSED_QKV, TensorRole.WEIGHT, c.dim(), net.convolvedWidth()));
        out.add(spec(b + ATTENTION_GATE, TensorRole.WEIGHT, c.dim(), net.valueWidth()));
        if (net.tiledHeads()) {
            out.add(spec(b + DELTA_BETA, TensorRole.WEIGHT, c.dim(), heads));
            out.add(spec(b + DELTA_ALPHA, TensorRole.WEIGHT, c.dim(), heads));
        } else {
            out.add(spec(b + DELTA_BETA_ALPHA, TensorRole.WEIGHT, c.dim(), 2L * heads));
        }
        out.add(spec(b + DELTA_CONV, TensorRole.CONVOLUTION, c.convolution().length(), net.convolvedWidth()));
        out.add(spec(b + DELTA_DT_BIAS, TensorRole.BIAS, heads));
        out.add(spec(b + DELTA_DECAY, TensorRole.DECAY, heads));
        out.add(spec(b + DELTA_NORM, TensorRole.NORM, net.stateSize()));
        out.add(spec(b + DELTA_OUT, TensorRole.WEIGHT, net.valueWidth(), c.dim()));
    }

    /**
     * A Mamba2 block's tensors ({@link Mamba2}), as llama.cpp's Granite 4.0-H loader names and
     * shapes them: the decay rates and skips one row of a value per head, the norm's weight a row per group.
     */
    private static void mamba2(ModelConfig c, String b, List<TensorSpec> out) {
        Mamba2 scan = c.convolution().mamba2();
        int heads = scan.heads();
        out.add(spec(b + MAMBA_IN, TensorRole.WEIGHT, c.dim(), scan.projectedWidth()));
        out.add(spec(b + DELTA_CONV, TensorRole.CONVOLUTION, c.convolution().length(), scan.convolvedWidth()));
        // llama.cpp loads the convolution's bias where the file has it (every released model's does)
        out.add(new TensorSpec(b + MAMBA_CONV_BIAS, new long[] {scan.convolvedWidth()}, TensorRole.BIAS, true));
        out.add(spec(b + DELTA_DT_BIAS, TensorRole.BIAS, heads));
        out.add(spec(b + DELTA_DECAY, TensorRole.DECAY, 1, heads));
        out.add(spec(b + MAMBA_SKIP, TensorRole.SKIP, 1, heads));
        out.add(spec(b + DELTA_NORM, TensorRole.NORM, scan.innerWidth() / scan.groups(), scan.groups()));
        out.add(spec(b + DELTA_OUT, TensorRole.WEIGHT, scan.innerWidth(), c.dim()));
    }

    /** Block {@code l}'s FFN norm and FFN: routed experts (with what its family adds) or a dense one. */
    private static void feedForward(ModelConfig c, int l, String b, List<TensorSpec> out) {
        boolean gptOss = c.architecture().hasGptOssBlocks();
        // Nemotron-H: squared ReLU without a gate, so no gate matrices; its FFN blocks' one norm is attn_norm
        boolean gated = !c.architecture().squaresRelu();
        if (!c.convolution().separatesFeedForward()) {
            out.add(spec(b + c.architecture().ffnNormName() + ".weight", TensorRole.NORM, c.dim()));
        }
        if (c.isRoutedBlock(l)) {
            int e = c.expertCount();
            int f = c.expertFeedForwardLength();
            out.add(spec(b + "ffn_gate_inp.weight", TensorRole.ROUTER, c.dim(), e));
            if (gptOss) {
                out.add(spec(b + "ffn_gate_inp.bias", TensorRole.BIAS, e));
            }
            if (c.routing().gating() == ExpertRouting.Gating.SIGMOID || c.architecture().ranksWithSelectionBias()) {
                // the selection bias: some families' files always have it, DeepSeek-V3's may not
                out.add(new TensorSpec(b + "exp_probs_b.bias", new long[] {e}, TensorRole.BIAS,
                        !c.architecture().requiresSelectionBias()));
            }
            int w = c.expertWidth();
            if (c.expertLatentWidth() > 0) {
                // Nemotron 3 Super: the experts' inputs projected down to their latent width, their sum back up
                out.add(spec(b + LATENT_DOWN, TensorRole.WEIGHT, c.dim(), w));
                out.add(spec(b + LATENT_UP, TensorRole.WEIGHT, w, c.dim()));
            }
            if (gated) {
                out.add(spec(b + "ffn_gate_exps.weight", TensorRole.EXPERT, w, f, e));
            }
            out.add(spec(b + "ffn_up_exps.weight", TensorRole.EXPERT, w, f, e));
            out.add(spec(b + "ffn_down_exps.weight", TensorRole.EXPERT, f, w, e));
            if (gptOss) {
                // one bias row per expert: [width, experts]
                out.add(spec(b + "ffn_gate_exps.bias", TensorRole.BIAS, f, e));
                out.add(spec(b + "ffn_up_exps.bias", TensorRole.BIAS, f, e));
                out.add(spec(b + "ffn_down_exps.bias", TensorRole.BIAS, c.dim(), e));
            }
            if (c.hasSharedExpert()) {
                int s = c.sharedExpertFeedForwardLength();
                if (c.architecture().sharedExpert() == Architecture.SharedExpert.SIGMOID_GATED) {
                    out.add(spec(b + "ffn_gate_inp_shexp.weight", TensorRole.ROUTER, c.dim()));
                }
                if (gated) {
                    out.add(spec(b + "ffn_gate_shexp.weight", TensorRole.WEIGHT, c.dim(), s));
                }
                out.add(spec(b + "ffn_up_shexp.weight", TensorRole.WEIGHT, c.dim(), s));
                out.add(spec(b + "ffn_down_shexp.weight", TensorRole.WEIGHT, s, c.dim()));
            }
        } else {
            if (gated) {
                out.add(spec(b + "ffn_gate.weight", TensorRole.WEIGHT, c.dim(), c.feedForwardLength()));
            }
            out.add(spec(b + "ffn_up.weight", TensorRole.WEIGHT, c.dim(), c.feedForwardLength()));
            out.add(spec(b + "ffn_down.weight", TensorRole.WEIGHT, c.feedForwardLength(), c.dim()));
        }
    }

    /**
     * DeepSeek-V2's latent attention: queries straight ({@code attn_q}) or through a normed low-rank
     * path; one projection to the key/value latent and the shared rotary key; and per head, the
     * stacked decompressions of the non-rotary key ({@code attn_k_b}, latent <- key) and the value
     * ({@code attn_v_b}, latent -> value), stacked as experts are.
     */
    private static void latentAttention(ModelConfig c, String b, List<TensorSpec> out) {
        LatentAttention a = c.latentAttention();
        int heads = c.headCount();
        int nope = a.nopeLength(c.ropeDimensions());
        if (a.queriesThroughLatent()) {
            out.add(spec(b + "attn_q_a.weight", TensorRole.WEIGHT, c.dim(), a.qLoraRank()));
            out.add(spec(b + "attn_q_a_norm.weight", TensorRole.NORM, a.qLoraRank()));
            out.add(spec(b + "attn_q_b.weight", TensorRole.WEIGHT, a.qLoraRank(), (long) heads * a.keyLength()));
        } else {
            out.add(spec(b + "attn_q.weight", TensorRole.WEIGHT, c.dim(), (long) heads * a.keyLength()));
        }
        out.add(spec(b + "attn_kv_a_mqa.weight", TensorRole.WEIGHT, c.dim(), a.kvLoraRank() + c.ropeDimensions()));
        out.add(spec(b + "attn_kv_a_norm.weight", TensorRole.NORM, a.kvLoraRank()));
        if (a.joinedDecompression()) {
            // per head: nope key rows, then value rows, each from the latent
            out.add(spec(b + "attn_kv_b.weight", TensorRole.WEIGHT, a.kvLoraRank(),
                    (long) heads * (nope + a.valueLength())));
        } else {
            out.add(spec(b + "attn_k_b.weight", TensorRole.WEIGHT, nope, a.kvLoraRank(), heads));
            out.add(spec(b + "attn_v_b.weight", TensorRole.WEIGHT, a.kvLoraRank(), a.valueLength(), heads));
        }
    }

    /** Kimi-Linear's delta-attention block's tensors, as llama.cpp's loader names and shapes them. */
    private static void deltaAttention(ModelConfig c, String b, DeltaNet net, List<TensorSpec> out) {
        long inner = net.valueWidth();
        int length = c.convolution().length();
        out.add(spec(b + "attn_q.weight", TensorRole.WEIGHT, c.dim(), inner));
        out.add(spec(b + "attn_k.weight", TensorRole.WEIGHT, c.dim(), inner));
        out.add(spec(b + "attn_v.weight", TensorRole.WEIGHT, c.dim(), inner));
        for (String kernel : List.of(KDA_CONV_Q, KDA_CONV_K, KDA_CONV_V)) {
            out.add(spec(b + kernel, TensorRole.CONVOLUTION, length, 1, inner));
        }
        out.add(spec(b + KDA_DECAY_DOWN, TensorRole.WEIGHT, c.dim(), net.stateSize()));
        out.add(spec(b + KDA_DECAY_UP, TensorRole.WEIGHT, net.stateSize(), inner));
        out.add(spec(b + DELTA_BETA, TensorRole.WEIGHT, c.dim(), net.valueHeads()));
        out.add(spec(b + DELTA_DECAY, TensorRole.DECAY, 1, net.valueHeads()));
        out.add(spec(b + DELTA_DT_BIAS, TensorRole.BIAS, inner));
        out.add(spec(b + KDA_GATE_DOWN, TensorRole.WEIGHT, c.dim(), net.stateSize()));
        out.add(spec(b + KDA_GATE_UP, TensorRole.WEIGHT, net.stateSize(), inner));
        out.add(spec(b + DELTA_NORM, TensorRole.NORM, net.stateSize()));
        out.add(spec(b + "attn_output.weight", TensorRole.WEIGHT, inner, c.dim()));
    }

    /**
     * Whether block {@code block} of a MiMo-V2 file has its queries', keys' and values' rows stacked in
     * one matrix ({@code attn_qkv}, in that order, as MiMo-V2.5's converter writes them) instead of the
     * three that MiMo-V2-Flash's files keep; llama.cpp takes either.
     */
    public static boolean fusesQkvInstead(ModelConfig c, GgufFile file, int block) {
        String b = "blk." + block + ".";
        return c.architecture().listsWindowedBlocks() && file.tensor(b + "attn_q.weight").isEmpty()
                && file.tensor(b + FUSED_QKV).isPresent();
    }

    /** The fused projection {@link #fusesQkvInstead} finds, shaped for block {@code block}'s heads. */
    private static TensorSpec fusedQkv(ModelConfig c, int block) {
        long rows = (long) c.qDim() + (long) c.kvHeadCount(block) * (c.headDimK() + c.headDimV());
        return spec("blk." + block + "." + FUSED_QKV, TensorRole.WEIGHT, c.dim(), rows);
    }

    /**
     * Checks that a file has every tensor the configuration needs, with the right shape and a type
     * Switchyard can compute with. Extra tensors are allowed.
     */
    public static void validate(ModelConfig c, GgufFile file) {
        if (c.architecture().separatesFeedForward() && c.isMoe() && c.expertLatentWidth() == 0) {
            for (int l = 0; l < c.layers(); l++) {
                String latent = "blk." + l + ".ffn_latent_down.weight";
                if (file.tensor(latent).isPresent()) {
                    // Nemotron 3 Super's experts work in a smaller space, projected in and out around them
                    throw new ModelConfigException("tensor '" + latent + "' projects the experts' inputs to a latent "
                            + "space (Nemotron 3 Super's latent experts), but the file states no moe_latent_size");
                }
            }
        }
        List<TensorSpec> expected = new ArrayList<>();
        for (TensorSpec spec : expectedTensors(c)) {
            int block = blockOf(spec.name());
            boolean split = spec.name().endsWith(".attn_q.weight") || spec.name().endsWith(".attn_k.weight")
                    || spec.name().endsWith(".attn_v.weight");
            if (split && block >= 0 && fusesQkvInstead(c, file, block)) {
                if (spec.name().endsWith(".attn_q.weight")) {
                    expected.add(fusedQkv(c, block));
                }
            } else {
                expected.add(spec);
            }
        }
        for (TensorSpec spec : expected) {
            Optional<GgufTensorInfo> found = file.tensor(spec.name());
            if (found.isEmpty()) {
                if (spec.optional()) {
                    continue;
                }
                if (spec.name().endsWith(FUSED_QKV) && c.convolution().deltaNet() != null
                        && file.tensor(spec.name().replace(FUSED_QKV, "ssm_in.weight")).isPresent()) {
                    throw new ModelConfigException("tensor '" + spec.name().replace(FUSED_QKV, "ssm_in.weight")
                            + "' holds queries, keys, values and gates fused in groups, as early Qwen3-Next conversions "
                            + "wrote them, which Switchyard does not read: convert the model again");
                }
                String fused = spec.name().replace("ffn_gate_exps", "ffn_gate_up_exps");
                if (!fused.equals(spec.name()) && file.tensor(fused).isPresent()) {
                    throw new ModelConfigException("tensor '" + fused + "' holds the experts' gate and up projections "
                            + "fused, which Switchyard does not read yet (it reads them as ffn_gate_exps and ffn_up_exps)");
                }
                throw new ModelConfigException("tensor '" + spec.name() + "' is missing");
            }
            GgufTensorInfo t = found.get();
            if (!spec.hasDims(t.dims())) {
                throw new ModelConfigException("tensor '" + spec.name() + "' has shape " + Arrays.toString(t.dims())
                        + ", expected " + Arrays.toString(spec.dims()));
            }
            if (!t.type().isSupported()) {
                throw new ModelConfigException("tensor '" + spec.name() + "' has type " + t.type()
                        + ", which Switchyard does not support yet");
            }
        }
    }

    /** The block a tensor's name belongs to ({@code blk.N.}), -1 for the model's own tensors. */
    private static int blockOf(String name) {
        if (!name.startsWith("blk.")) {
            return -1;
        }
        return Integer.parseInt(name.substring(4, name.indexOf('.', 4)));
    }

    private static TensorSpec spec(String name, TensorRole role, long... dims) {
        return new TensorSpec(name, dims, role, false);
    }
}
