package dev.switchyard.engine.forward;

import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufTensorInfo;
import dev.switchyard.engine.model.Architecture;
import dev.switchyard.engine.model.LatentAttention;
import dev.switchyard.engine.model.Mamba2;
import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.engine.model.TensorLayout;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.format.TensorCodecs;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A model's tensors handed to a backend: matrices as backend {@link Weight}s (on the CPU, views on
 * the file's mapping), vectors (norms, biases) as float arrays. Checked against
 * {@link TensorLayout} first, so a missing or misshapen tensor is reported by name.
 */
public final class ModelWeights {

    private final ModelConfig config;
    private final Weight tokenEmbedding;
    private final Weight output;
    private final float[] outputNorm;
    private final List<LayerWeights> layers;
    private final float[] ropeFactors;

    private ModelWeights(ModelConfig config, Weight tokenEmbedding, Weight output, float[] outputNorm, List<LayerWeights> layers,
                         float[] ropeFactors) {
        this.config = config;
        this.tokenEmbedding = tokenEmbedding;
        this.output = output;
        this.outputNorm = outputNorm;
        this.layers = List.copyOf(layers);
        this.ropeFactors = ropeFactors;
    }

    public static ModelWeights load(ModelConfig config, GgufFile file, Backend backend) {
        return load(config, file, backend, true);
    }

    /**
     * As above; with {@code routedExperts} false the routed experts are not handed to the backend
     * (they will be offloaded, and a GPU backend would otherwise copy them all to the device), and
     * only {@link OffloadedExperts} can compute them.
     */
    public static ModelWeights load(ModelConfig config, GgufFile file, Backend backend, boolean routedExperts) {
        TensorLayout.validate(config, file);
        Loader in = new Loader(file, backend);
        Architecture arch = config.architecture();
        List<LayerWeights> layers = new ArrayList<>(config.layers());
        for (int l = 0; l < config.layers(); l++) {
            String b = "blk." + l + ".";
            // LFM2's convolution blocks and Qwen3.5's delta-net blocks mix their tokens without attending;
            // Nemotron-H's blocks run one part each, some an FFN alone
            boolean attends = config.attends(l);
            boolean convolves = config.isConvolutionBlock(l);
            boolean feeds = config.feedsForward(l);
            boolean gated = !arch.squaresRelu();
            boolean bias = attends && (arch.attentionBias() || arch.mayBiasAttention());
            boolean qkNorm = attends && arch.qkNorm() != Architecture.QkNorm.NONE;
            boolean optional = arch.hasOptionalParts() || arch.mayBiasAttention();
            boolean moe = config.isRoutedBlock(l);
            boolean routed = moe && routedExperts;
            boolean shared = moe && config.hasSharedExpert();
            boolean sharedGated = moe && arch.sharedExpert() == Architecture.SharedExpert.SIGMOID_GATED;
            LatentAttention latent = config.latentAttention();
            boolean mha = attends && latent == null;
            boolean directQueries = mha || attends && !latent.queriesThroughLatent();
            boolean gptOss = attends && arch.hasGptOssBlocks();
            Weight[] qkv = mha ? queriesKeysValues(in, b, config, l) : null;
            boolean delta = convolves && config.convolution().deltaNet() != null;
            // Kimi's delta attention: queries, keys, values and output named and kept as attention's
            boolean kda = delta && config.convolution().deltaNet().channelGates();
            boolean scans = convolves && config.convolution().mamba2() != null;
            boolean dense = feeds && !moe;
            layers.add(new LayerWeights(
                    in.vector(b + "attn_norm.weight"),
                    directQueries || kda ? (mha ? qkv[0] : in.matrix(b + "attn_q.weight")) : null,
                    mha ? qkv[1] : kda ? in.matrix(b + "attn_k.weight") : null,
                    mha ? qkv[2] : kda ? in.matrix(b + "attn_v.weight") : null,
                    attends || kda ? in.matrix(b + "attn_output.weight") : null,
                    bias ? in.vector(b + "attn_q.bias", optional) : null,
                    bias ? in.vector(b + "attn_k.bias", optional) : null,
                    bias ? in.vector(b + "attn_v.bias", optional) : null,
                    qkNorm ? in.vector(b + "attn_q_norm.weight", optional) : null,
                    qkNorm ? in.vector(b + "attn_k_norm.weight", optional) : null,
                    feeds ? in.vector(b + arch.ffnNormName() + ".weight") : null,
                    moe ? in.matrix(b + "ffn_gate_inp.weight") : null,
                    moe ? in.optionalVector(b + "exp_probs_b.bias") : null,
                    routed && gated ? in.matrix(b + "ffn_gate_exps.weight") : null,
                    routed ? in.matrix(b + "ffn_up_exps.weight") : null,
                    routed ? in.matrix(b + "ffn_down_exps.weight") : null,
                    sharedGated ? in.matrix(b + "ffn_gate_inp_shexp.weight") : null,
                    shared && gated ? in.matrix(b + "ffn_gate_shexp.weight") : null,
                    shared ? in.matrix(b + "ffn_up_shexp.weight") : null,
                    shared ? in.matrix(b + "ffn_down_shexp.weight") : null,
                    dense && gated ? in.matrix(b + "ffn_gate.weight") : null,
                    dense ? in.matrix(b + "ffn_up.weight") : null,
                    dense ? in.matrix(b + "ffn_down.weight") : null,
                    attends && !mha ? latentWeights(in, b, config) : null,
                    gptOss ? in.vector(b + "attn_output.bias")
                            : attends && arch.mayBiasAttention() ? in.optionalVector(b + "attn_output.bias") : null,
                    gptOss ? in.vector(b + "attn_sinks.weight")
                            : attends && arch.listsWindowedBlocks() && config.slidingWindow(l) > 0
                            ? in.optionalVector(b + "attn_sinks.weight") : null,
                    gptOss && moe ? in.vector(b + "ffn_gate_inp.bias") : null,
                    gptOss && moe ? expertBiases(in, b, config) : null,
                    attends && arch.gatesAttentionOutput() ? in.matrix(b + TensorLayout.ATTENTION_GATE) : null,
                    attends && arch.normsBranchOutputs() ? in.vector(b + TensorLayout.ATTENTION_POST_NORM) : null,
                    attends && arch.normsBranchOutputs() ? in.vector(b + TensorLayout.FFN_POST_NORM) : null,
                    convolves && !delta && !scans ? convolutionWeights(in, b, config) : null,
                    kda ? deltaAttentionWeights(in, b, config) : delta ? deltaNetWeights(in, b, config) : null,
                    scans ? mamba2Weights(in, b, config) : null,
                    moe && config.expertLatentWidth() > 0 ? in.matrix(b + TensorLayout.LATENT_DOWN) : null,
                    moe && config.expertLatentWidth() > 0 ? in.matrix(b + TensorLayout.LATENT_UP) : null));
        }
        Weight embedding = in.matrix("token_embd.weight");
        // A file without output.weight ties the output head to the token embedding.
        Weight output = in.optionalMatrix("output.weight").orElse(embedding);
        return new ModelWeights(config, embedding, output, in.vector(arch.outputNormName()), layers,
                ropeFactors(config, file, in));
    }

    /** An LFM2 convolution block's own tensors ({@link ConvolutionWeights}). */
    private static ConvolutionWeights convolutionWeights(Loader in, String b, ModelConfig config) {
        int length = config.convolution().length();
        return new ConvolutionWeights(in.matrix(b + TensorLayout.CONV_IN),
                ConvolutionWeights.tapMajor(in.vector(b + TensorLayout.CONV_KERNEL), length), length,
                in.matrix(b + TensorLayout.CONV_OUT));
    }

    /** A delta-net block's own tensors ({@link DeltaNetWeights}). */
    private static DeltaNetWeights deltaNetWeights(Loader in, String b, ModelConfig config) {
        int length = config.convolution().length();
        boolean split = config.convolution().deltaNet().tiledHeads();
        return new DeltaNetWeights(in.matrix(b + TensorLayout.FUSED_QKV), in.matrix(b + TensorLayout.ATTENTION_GATE), null,
                split ? in.matrix(b + TensorLayout.DELTA_BETA) : null,
                split ? in.matrix(b + TensorLayout.DELTA_ALPHA) : null, null,
                split ? null : in.matrix(b + TensorLayout.DELTA_BETA_ALPHA),
                ConvolutionWeights.tapMajor(in.vector(b + TensorLayout.DELTA_CONV), length), length,
                in.vector(b + TensorLayout.DELTA_DT_BIAS), in.vector(b + TensorLayout.DELTA_DECAY),
                in.vector(b + TensorLayout.DELTA_NORM), in.matrix(b + TensorLayout.DELTA_OUT));
    }

    /**
     * A Kimi-Linear delta-attention block's own tensors ({@link DeltaNetWeights}): its three
     * convolutions' kernels joined channel by channel, queries' then keys' then values', so that one
     * convolution over the three side by side computes all of them.
     */
    private static DeltaNetWeights deltaAttentionWeights(Loader in, String b, ModelConfig config) {
        int length = config.convolution().length();
        float[] q = in.vector(b + TensorLayout.KDA_CONV_Q);
        float[] k = in.vector(b + TensorLayout.KDA_CONV_K);
        float[] v = in.vector(b + TensorLayout.KDA_CONV_V);
        float[] joined = new float[q.length + k.length + v.length];
        System.arraycopy(q, 0, joined, 0, q.length);
        System.arraycopy(k, 0, joined, q.length, k.length);
        System.arraycopy(v, 0, joined, q.length + k.length, v.length);
        return new DeltaNetWeights(null, in.matrix(b + TensorLayout.KDA_GATE_UP), in.matrix(b + TensorLayout.KDA_GATE_DOWN),
                in.matrix(b + TensorLayout.DELTA_BETA), in.matrix(b + TensorLayout.KDA_DECAY_UP),
                in.matrix(b + TensorLayout.KDA_DECAY_DOWN), null, ConvolutionWeights.tapMajor(joined, length), length,
                in.vector(b + TensorLayout.DELTA_DT_BIAS), in.vector(b + TensorLayout.DELTA_DECAY),
                in.vector(b + TensorLayout.DELTA_NORM), null);
    }

    /** A Mamba2 block's own tensors ({@link Mamba2Weights}), its input projection in three row ranges. */
    private static Mamba2Weights mamba2Weights(Loader in, String b, ModelConfig config) {
        int length = config.convolution().length();
        Mamba2 scan = config.convolution().mamba2();
        String input = b + TensorLayout.MAMBA_IN;
        return new Mamba2Weights(in.rows(input, 0, scan.innerWidth()),
                in.rows(input, scan.innerWidth(), scan.convolvedWidth()),
                in.rows(input, scan.innerWidth() + scan.convolvedWidth(), scan.heads()),
                ConvolutionWeights.tapMajor(in.vector(b + TensorLayout.DELTA_CONV), length), length,
                in.optionalVector(b + TensorLayout.MAMBA_CONV_BIAS), in.vector(b + TensorLayout.DELTA_DT_BIAS),
                in.vector(b + TensorLayout.DELTA_DECAY), in.vector(b + TensorLayout.MAMBA_SKIP),
                in.vector(b + TensorLayout.DELTA_NORM), in.matrix(b + TensorLayout.DELTA_OUT));
    }

    /**
     * A block's query, key and value projections: three matrices, or the row ranges of one fused
     * matrix (Ling 2.0), each a view on the same bytes, since a quantized matrix's rows lie whole
     * and in order.
     */
    private static Weight[] queriesKeysValues(Loader in, String b, ModelConfig config, int block) {
        String name = b + TensorLayout.FUSED_QKV;
        // MiMo-V2.5's files fuse them where MiMo-V2-Flash's keep them apart
        boolean fused = config.architecture().fusesQkv()
                || TensorLayout.fusesQkvInstead(config, in.file(), block);
        if (!fused) {
            return new Weight[] {in.matrix(b + "attn_q.weight"), in.matrix(b + "attn_k.weight"),
                    in.matrix(b + "attn_v.weight")};
        }
        int keys = config.kvHeadCount(block) * config.headDimK();
        int values = config.kvHeadCount(block) * config.headDimV();
        return new Weight[] {in.rows(name, 0, config.qDim()), in.rows(name, config.qDim(), keys),
                in.rows(name, config.qDim() + keys, values)};
    }

    /** The file's {@code rope_freqs} (Llama 3.1's scaling), each a positive divisor; null where it has none. */
    private static float[] ropeFactors(ModelConfig config, GgufFile file, Loader in) {
        if (config.latentAttention() != null || file.tensor(TensorLayout.ROPE_FACTORS).isEmpty()) {
            return null;
        }
        float[] factors = in.vector(TensorLayout.ROPE_FACTORS);
        for (int i = 0; i < factors.length; i++) {
            if (!(factors[i] > 0) || !Float.isFinite(factors[i])) {
                throw new dev.switchyard.engine.model.ModelConfigException("tensor '" + TensorLayout.ROPE_FACTORS
                        + "' holds " + factors[i] + " at " + i + "; each rotating pair's frequency divisor must be "
                        + "positive and finite");
            }
        }
        return factors;
    }

    /** Each rotating pair's frequency divisor ({@code rope_freqs}), or null for none. */
    float[] ropeFactors() {
        return ropeFactors;
    }

    private static LatentAttentionWeights latentWeights(Loader in, String b, ModelConfig config) {
        LatentAttention latent = config.latentAttention();
        boolean lowRank = latent.queriesThroughLatent();
        Weight keyUp;
        Weight valueUp;
        if (latent.joinedDecompression()) {
            GgufTensorInfo kvB = in.file().requireTensor(b + "attn_kv_b.weight");
            int nope = latent.nopeLength(config.ropeDimensions());
            keyUp = JoinedDecompression.keys(in.file(), kvB, latent, nope, config.headCount(), in.backend());
            valueUp = JoinedDecompression.values(in.file(), kvB, latent, nope, config.headCount(), in.backend());
        } else {
            keyUp = in.matrix(b + "attn_k_b.weight");
            valueUp = in.matrix(b + "attn_v_b.weight");
        }
        return new LatentAttentionWeights(
                lowRank ? in.matrix(b + "attn_q_a.weight") : null,
                lowRank ? in.vector(b + "attn_q_a_norm.weight") : null,
                lowRank ? in.matrix(b + "attn_q_b.weight") : null,
                in.matrix(b + "attn_kv_a_mqa.weight"),
                in.vector(b + "attn_kv_a_norm.weight"),
                keyUp,
                valueUp);
    }

    /** gpt-oss's expert biases, stacked a row per expert as the file holds them. */
    private static ExpertBiases expertBiases(Loader in, String b, ModelConfig config) {
        return new ExpertBiases(in.vector(b + "ffn_gate_exps.bias"), in.vector(b + "ffn_up_exps.bias"),
                in.vector(b + "ffn_down_exps.bias"), config.expertFeedForwardLength(), config.dim());
    }

    public ModelConfig config() {
        return config;
    }

    Weight tokenEmbedding() {
        return tokenEmbedding;
    }

    Weight output() {
        return output;
    }

    float[] outputNorm() {
        return outputNorm;
    }

    /** Whether some MoE layer ranks experts with a selection bias ({@code exp_probs_b}). */
    boolean hasSelectionBias() {
        for (LayerWeights l : layers) {
            if (l.selectionBias() != null) {
                return true;
            }
        }
        return false;
    }

    /** Whether the routed experts can be computed in place (false: they were loaded for offloading only). */
    boolean routedExpertsInPlace() {
        return !config.isMoe() || layers.get(config.blockOfRoutedLayer(0)).expertUp() != null;
    }

    LayerWeights layer(int l) {
        return layers.get(l);
    }

    /** Reads tensors of one file into one backend. */
    private record Loader(GgufFile file, Backend backend) {

        Weight matrix(String name) {
            GgufTensorInfo t = file.requireTensor(name);
            long[] dims = t.dims();
            // A vector used as a one-row matrix (the shared expert's gate input).
            long[] asMatrix = dims.length == 1 ? new long[] {dims[0], 1} : dims;
            return backend.weight(t.type(), file.data(t), asMatrix);
        }

        /** Rows {@code first} to {@code first + count} of a matrix, as a matrix of their own. */
        Weight rows(String name, long first, long count) {
            GgufTensorInfo t = file.requireTensor(name);
            long[] dims = t.dims();
            long rowBytes = t.type().byteSize(dims[0]);
            MemorySegment rows = file.data(t).asSlice(first * rowBytes, count * rowBytes);
            return backend.weight(t.type(), rows, new long[] {dims[0], count});
        }

        Optional<Weight> optionalMatrix(String name) {
            return file.tensor(name).map(t -> matrix(name));
        }

        float[] optionalVector(String name) {
            return file.tensor(name).isPresent() ? vector(name) : null;
        }

        float[] vector(String name, boolean optional) {
            return optional ? optionalVector(name) : vector(name);
        }

        float[] vector(String name) {
            GgufTensorInfo t = file.requireTensor(name);
            float[] v = new float[Math.toIntExact(t.elementCount())];
            TensorCodecs.forType(t.type()).dequantize(file.data(t), 0, v, 0, v.length);
            return v;
        }
    }
}
