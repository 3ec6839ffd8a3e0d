package dev.switchyard.engine.modelgen;

import dev.switchyard.engine.gguf.GgufArray;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufMetadata;
import dev.switchyard.engine.gguf.GgufValue;
import dev.switchyard.engine.gguf.GgufValueType;
import dev.switchyard.engine.gguf.GgufWriter;
import dev.switchyard.engine.model.Architecture;
import dev.switchyard.engine.model.ConvolutionBlocks;
import dev.switchyard.engine.model.DeltaNet;
import dev.switchyard.engine.model.ExpertRouting;
import dev.switchyard.engine.model.LatentAttention;
import dev.switchyard.engine.model.LayerPattern;
import dev.switchyard.engine.model.Mamba2;
import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.engine.model.ModelConfigException;
import dev.switchyard.engine.model.ModelConfigWriter;
import dev.switchyard.engine.model.RopeScaling;
import dev.switchyard.engine.model.RopeSections;
import dev.switchyard.engine.model.ScaleFactors;
import dev.switchyard.engine.model.TensorLayout;
import dev.switchyard.engine.model.TensorRole;
import dev.switchyard.engine.model.TensorSpec;
import dev.switchyard.engine.model.WindowLayout;
import dev.switchyard.kernels.format.GgmlType;
import dev.switchyard.kernels.format.TensorCodec;
import dev.switchyard.kernels.format.TensorCodecs;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Writes seeded random-weight models of every supported family, named and laid out as llama.cpp
 * expects (see {@link TensorLayout}). The same spec and seed give the same bytes on every machine and
 * thread count: each tensor is drawn in fixed chunks, each chunk from its own seed.
 */
public final class RandomModelGenerator {

    /** Elements per independently seeded chunk; a multiple of every block size. */
    static final int CHUNK = 1 << 16;
    /** Merges learned for the built-in vocabulary when no tokenizer is copied from a file. */
    static final int DEFAULT_MERGES = 768;
    /** gpt-oss's head width, in every released size. */
    static final int GPT_OSS_HEAD = 64;

    /**
     * ChatML, with tools as Qwen2.5 and Hermes lay them out: definitions in a system turn, calls as
     * JSON in {@code <tool_call>} tags, results in {@code <tool_response>} tags. Without tools it
     * renders plain ChatML, as generated models always have.
     */
    static final String CHATML_TEMPLATE = """
            {%- if tools %}\
            {{- '<|im_start|>system\\n' }}\
            {%- if messages[0]['role'] == 'system' %}{{- messages[0]['content'] + '\\n\\n' }}{%- endif %}\
            {{- '# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\n' }}\
            {{- 'You are provided with function signatures within <tools></tools> XML tags:\\n<tools>' }}\
            {%- for tool in tools %}{{- '\\n' + (tool | tojson) }}{%- endfor %}\
            {{- '\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments ' }}\
            {{- 'within <tool_call></tool_call> XML tags:\\n<tool_call>\\n' }}\
            {{- '{"name": <function-name>, "arguments": <args-json-object>}\\n</tool_call><|im_end|>\\n' }}\
            {%- endif %}\
            {%- for message in messages %}\
            {%- if tools and loop.first and message['role'] == 'system' %}\
            {%- elif message['role'] == 'assistant' and message['tool_calls'] is defined %}\
            {{- '<|im_start|>assistant\\n' + (message['content'] or '') }}\
            {%- for call in message['tool_calls'] %}\
            {{- '<tool_call>\\n{"name": "' + call['function']['name'] + '", "arguments": ' }}\
            {{- (call['function']['arguments'] | tojson) + '}\\n</tool_call>' }}\
            {%- endfor %}\
            {{- '<|im_end|>\\n' }}\
            {%- elif message['role'] == 'tool' %}\
            {{- '<|im_start|>user\\n<tool_response>\\n' + message['content'] + '\\n</tool_response><|im_end|>\\n' }}\
            {%- else %}\
            {{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}\
            {%- endif %}\
            {%- endfor %}\
            {%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}""";

    private RandomModelGenerator() {
    }

    /** The configuration a spec describes, for a vocabulary of {@code vocabSize} tokens. */
    public static ModelConfig configFor(ModelSpec spec, int vocabSize) {
        Architecture arch = spec.arch().architecture();
        int dim = spec.resolvedDim();
        int heads = spec.resolvedHeads();
        if (heads < 1 || dim % heads != 0) {
            throw new ModelConfigException("--dim " + dim + " must be a positive multiple of --heads " + heads);
        }
        int kvHeads = spec.resolvedKvHeads();
        int experts = spec.resolvedExperts();
        int topK = spec.resolvedTopK();
        int expertFfn = spec.resolvedExpertFfn();
        boolean moe = experts > 0;
        // Dense width for families that also state one beside the expert width (as real Qwen and
        // DeepSeek MoE files do; DeepSeek-MoE's leading dense block computes with it).
        int ffn = moe && arch.hasSeparateExpertWidth() ? expertFfn * topK : expertFfn;
        // Qwen2-MoE's shared expert is twice an expert wide here; DeepSeek-MoE has two expert-wide
        // ones, GLM-4.5 one.
        int shared = moe && arch.hasSharedExpert() ? (arch == Architecture.GLM4MOE ? 1 : 2) * expertFfn : 0;
        // DeepSeek-MoE's first block is dense, as in the released models (first_k_dense_replace 1).
        int leadingDense = moe && arch.hasLeadingDenseLayers() && spec.resolvedLayers() > 1 ? 1 : 0;
        boolean deepseek = arch == Architecture.DEEPSEEK || arch == Architecture.DEEPSEEK2;
        boolean qwen = arch != Architecture.LLAMA && arch != Architecture.OLMOE && !deepseek;
        // float literals: the file stores eps as FLOAT32, so a config read back compares equal
        double eps = qwen || deepseek ? 1e-6f : 1e-5f;
        double ropeBase = qwen ? 1_000_000.0 : spec.arch() == GeneratedArchitecture.LLAMA3 ? 500_000.0 : 10_000.0;
        int headDim = dim / heads;
        String name = "switchyard-" + spec.arch().cliName() + "-" + spec.preset().cliName();
        if (arch == Architecture.GLM4MOE) {
            // GLM-4.5: half of each head rotated (neox), 1e-5 and 1e6 as its configs state; sigmoid
            // routing with a selection bias, weights renormalized, scaled by 2.5 (1 in the Air)
            boolean air = spec.arch() == GeneratedArchitecture.GLM4MOE_AIR;
            return new ModelConfig(arch, name, spec.resolvedContext(), dim, spec.resolvedLayers(), heads, kvHeads,
                    headDim, headDim, ffn, experts, topK, expertFfn, shared, leadingDense, true, 1e-5f, 1_000_000.0,
                    headDim / 2, RopeScaling.NONE, vocabSize, null,
                    new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, air ? 1.0 : 2.5));
        }
        if (arch == Architecture.GPT_OSS) {
            // gpt-oss: heads of 64 whatever the width (its 64 query heads are wider than the model),
            // neox rope over the whole head with YaRN x32 from 4096 positions, base 150000, eps
            // 1e-5, every other block windowed
            return new ModelConfig(arch, name, spec.resolvedContext(), dim, spec.resolvedLayers(), heads, kvHeads,
                    GPT_OSS_HEAD, GPT_OSS_HEAD, ffn, experts, topK, expertFfn, 0, 0, true, 1e-5f, 150_000.0, GPT_OSS_HEAD,
                    new RopeScaling(RopeScaling.Type.YARN, 32, 4096), vocabSize, null, ExpertRouting.SOFTMAX,
                    spec.preset().slidingWindow());
        }
        if (arch == Architecture.LLAMA4) {
            // Llama 4: Maverick's interleaving (experts every other block, so both kinds of block run;
            // every block where there is one), every 4th block unrotated, the rotated ones' queries
            // and keys normed; one shared expert an expert wide beside the routed ones, which are
            // chosen one per token unless --top-k says otherwise, by sigmoid, weights unnormalized;
            // dense blocks twice an expert wide; base 500000 with Llama 3.1's rope_freqs, eps 1e-5
            int layers = spec.resolvedLayers();
            LayerPattern pattern = new LayerPattern(layers >= 2 ? 2 : 1, 4, true, 8192, 8192, 0.1);
            int k = spec.topK() != null ? topK : 1;
            return new ModelConfig(arch, name, spec.resolvedContext(), dim, layers, heads, kvHeads,
                    headDim, headDim, 2 * expertFfn, experts, moe ? k : 0, moe ? expertFfn : 0, moe ? expertFfn : 0, 0,
                    false, 1e-5f, 500_000.0, headDim, RopeScaling.NONE, vocabSize, null,
                    moe ? new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 1.0) : ExpertRouting.SOFTMAX, 0,
                    ScaleFactors.NONE, pattern);
        }
        if (arch == Architecture.DOTS1) {
            // dots.llm1: a dense first block, two expert-wide shared experts, sigmoid routing with a
            // selection bias, weights renormalized and scaled by 2.5, per-head QK-norm, neox rotation
            return new ModelConfig(arch, name, spec.resolvedContext(), dim, spec.resolvedLayers(), heads, kvHeads,
                    headDim, headDim, ffn, experts, topK, moe ? expertFfn : 0, shared, leadingDense, true, 1e-6f,
                    10_000_000.0, headDim, RopeScaling.NONE, vocabSize, null,
                    moe ? new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 2.5) : ExpertRouting.SOFTMAX);
        }
        if (arch == Architecture.MINIMAX_M2) {
            // MiniMax-M2: half of each head rotated (neox), queries and keys normed over their whole
            // projections, sigmoid routing with a selection bias, weights renormalized and unscaled;
            // base 5e6, eps 1e-6, as its config states
            return new ModelConfig(arch, name, spec.resolvedContext(), dim, spec.resolvedLayers(), heads, kvHeads,
                    headDim, headDim, ffn, experts, topK, expertFfn, 0, 0, true, 1e-6f, 5_000_000.0, headDim / 2,
                    RopeScaling.NONE, vocabSize, null, new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 1.0));
        }
        if (arch == Architecture.BAILINGMOE) {
            // Ling 1: Llama's attention (normal rotation of whole heads), two expert-wide shared
            // experts beside softmax-routed ones in every block, weights renormalized, unscaled
            return new ModelConfig(arch, name, spec.resolvedContext(), dim, spec.resolvedLayers(), heads, kvHeads,
                    headDim, headDim, ffn, experts, topK, expertFfn, shared, 0, true, 1e-6f, 600_000.0, headDim,
                    RopeScaling.NONE, vocabSize, null, ExpertRouting.SOFTMAX);
        }
        if (arch == Architecture.AFMOE) {
            // Trinity: a dense first block, one expert-wide shared expert, sigmoid routing with a
            // selection bias, weights renormalized and scaled by 2.826, three windowed rotated blocks
            // to one global unrotated one (the preset's window), embeddings times sqrt(dim), the
            // attention gate and branch norms; base 10000, eps 1e-5
            return new ModelConfig(arch, name, spec.resolvedContext(), dim, spec.resolvedLayers(), heads, kvHeads,
                    headDim, headDim, ffn, experts, topK, expertFfn, expertFfn, leadingDense, true, 1e-5f, 10_000.0,
                    headDim, RopeScaling.NONE, vocabSize, null,
                    new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 2.826f), spec.preset().slidingWindow(),
                    ScaleFactors.widthScaledEmbeddings(dim),
                    new LayerPattern(1, Architecture.GLOBAL_BLOCK_STEP, false, 0, 0, 0));
        }
        if (arch.hasConvolutionBlocks()) {
            // LFM2: two convolution blocks (three taps each) to every attention block, as in the released
            // models, the last block attending where fewer than three; attention with per-head QK-norm
            // and whole heads rotated (neox); LFM2-MoE's first block dense, then sigmoid routing with a
            // selection bias, weights renormalized and unscaled; base 1e6, eps 1e-5
            int layers = spec.resolvedLayers();
            List<Integer> convolving = new ArrayList<>();
            for (int b = 0; b < layers; b++) {
                if (b % 3 != 2 && !(layers < 3 && b == layers - 1)) {
                    convolving.add(b);
                }
            }
            return new ModelConfig(arch, name, spec.resolvedContext(), dim, layers, heads, kvHeads, headDim, headDim, ffn,
                    experts, topK, moe ? expertFfn : 0, 0, leadingDense, true, 1e-5f, 1_000_000.0, headDim,
                    RopeScaling.NONE, vocabSize, null,
                    moe ? new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 1.0) : ExpertRouting.SOFTMAX, 0,
                    ScaleFactors.NONE, LayerPattern.UNIFORM, RopeSections.NONE, new ConvolutionBlocks(3, convolving));
        }
        if (arch == Architecture.EXAONE_MOE) {
            // K-EXAONE: three windowed rotated blocks to one global unrotated one (the preset's window),
            // per-head QK-norm, a dense first block, a shared expert an expert wide, sigmoid routing with
            // a selection bias, weights renormalized and scaled by 2.5; base 1e6, eps 1e-5
            return new ModelConfig(arch, name, spec.resolvedContext(), dim, spec.resolvedLayers(), heads, kvHeads,
                    headDim, headDim, ffn, experts, topK, expertFfn, expertFfn, leadingDense, true, 1e-5f, 1_000_000.0,
                    headDim, RopeScaling.NONE, vocabSize, null, new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 2.5),
                    spec.preset().slidingWindow(), ScaleFactors.NONE,
                    new LayerPattern(1, Architecture.GLOBAL_BLOCK_STEP, false, 0, 0, 0));
        }
        if (arch == Architecture.BAILINGMOE2) {
            // Ling 2.0: one fused query-key-value matrix, half of each head rotated (neox) after a
            // per-head QK-norm, a dense first block, one expert-wide shared expert, sigmoid routing
            // with a selection bias within the best half of four expert groups (where the experts
            // divide so), weights renormalized and scaled by 2.5; base 600000, eps 1e-6
            boolean groups = moe && experts % 4 == 0 && experts >= 8 && topK <= experts / 2;
            return new ModelConfig(arch, name, spec.resolvedContext(), dim, spec.resolvedLayers(), heads, kvHeads,
                    headDim, headDim, ffn, experts, topK, expertFfn, expertFfn, leadingDense, true, 1e-6f, 600_000.0,
                    headDim / 2, RopeScaling.NONE, vocabSize, null,
                    new ExpertRouting(ExpertRouting.Gating.SIGMOID, groups ? 4 : 1, groups ? 2 : 1, 2.5));
        }
        if (arch == Architecture.HUNYUAN_MOE) {
            // Hunyuan-A13B: one shared expert an expert wide beside softmax-routed ones, weights
            // renormalized, queries and keys normed per head after their rotation (neox); its base,
            // 10000 raised by NTK alpha 1000 as the converter states it, and eps 1e-5
            return new ModelConfig(arch, name, spec.resolvedContext(), dim, spec.resolvedLayers(), heads, kvHeads,
                    headDim, headDim, ffn, experts, topK, expertFfn, expertFfn, 0, true, 1e-5f, 11_158_840.0, headDim,
                    RopeScaling.NONE, vocabSize, null, ExpertRouting.SOFTMAX);
        }
        if (arch.hasDeltaNetBlocks()) {
            // Qwen3.5 and Qwen3-Next: three delta-net blocks to every attention block, as in the released
            // models (the last block attending where fewer than four), convolving over 4 positions, with
            // twice as many value heads as key heads, each a head wide; the attention blocks' queries
            // gated, a quarter of each head rotated (neox; Qwen3.5's interleaved sections covering every
            // rotating pair, so that text turns as ordinary rope); softmax routing, weights
            // renormalized, beside a sigmoid-gated shared expert an expert wide; base 1e7, eps 1e-6
            int layers = spec.resolvedLayers();
            List<Integer> recurrent = allButEveryFourth(layers);
            int keyHeads = Math.max(2, heads / 4);
            int ropeDims = Math.max(2, headDim / 4 / 2 * 2);
            int pairs = ropeDims / 2;
            RopeSections sections = arch.hasRopeSections()
                    ? RopeSections.interleaved(pairs - 2 * (pairs / 3), pairs / 3, pairs / 3, 0) : RopeSections.NONE;
            return new ModelConfig(arch, name, spec.resolvedContext(), dim, layers, heads, kvHeads, headDim, headDim, ffn,
                    experts, topK, moe ? expertFfn : 0, moe ? expertFfn : 0, 0, true, 1e-6f, 10_000_000.0, ropeDims,
                    RopeScaling.NONE, vocabSize, null, ExpertRouting.SOFTMAX, 0, ScaleFactors.NONE, LayerPattern.UNIFORM,
                    sections, new ConvolutionBlocks(4, recurrent,
                            new DeltaNet(keyHeads, 2 * keyHeads, headDim, arch != Architecture.QWEN3NEXT)));
        }
        if (arch.separatesFeedForward()) {
            // Nemotron-H: blocks of one part each, every other block an FFN (squared ReLU, no gate), the
            // others Mamba2 but every third of them, which attends without rotary positions (blocks 0 M,
            // 1 E, 2 *, 3 E, 4 M, 5 E, 6 M, 7 E, 8 *, ...: Nemotron 3 Nano's mix); Mamba2 twice the model
            // wide in heads of the attention's head width, 8 groups where the heads divide so, states
            // twice a head wide up to 128; the MoE one routes by sigmoid ranked with a selection bias,
            // weights renormalized and scaled by 2.5, beside a shared expert two experts wide; eps 1e-5; in
            // Nemotron 3 Super's shape, its routed experts in a latent width half the model's
            int layers = spec.resolvedLayers();
            if (layers < 3) {
                throw new ModelConfigException(spec.arch().cliName() + " needs at least 3 blocks (a Mamba2 block, an FFN "
                        + "block and an attention block), got " + layers);
            }
            List<Integer> scanning = new ArrayList<>();
            List<Integer> feeding = new ArrayList<>();
            for (int b = 0; b < layers; b++) {
                if (b % 2 == 1) {
                    feeding.add(b);
                } else if (b / 2 % 3 != 1) {
                    scanning.add(b);
                }
            }
            int mambaHeads = 2 * dim / headDim;
            int groups = mambaHeads % 8 == 0 ? 8 : mambaHeads % 2 == 0 ? 2 : 1;
            return new ModelConfig(arch, name, spec.resolvedContext(), dim, layers, heads, kvHeads, headDim, headDim,
                    expertFfn, experts, topK, moe ? expertFfn : 0, moe ? 2 * expertFfn : 0, 0, moe, 1e-5f, 10_000.0,
                    headDim, RopeScaling.NONE, vocabSize, null,
                    moe ? new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 2.5) : ExpertRouting.SOFTMAX, 0,
                    ScaleFactors.NONE, LayerPattern.UNROTATED, RopeSections.NONE,
                    new ConvolutionBlocks(4, scanning, new Mamba2(mambaHeads, headDim, Math.min(128, 2 * headDim), groups),
                            feeding), moe && spec.arch() == GeneratedArchitecture.NEMOTRON_H_MOE_LATENT ? dim / 2 : 0);
        }
        if (arch.hasMamba2Blocks()) {
            // Granite 4.0-H: Mamba2 blocks but every fifth (from the third), which attends without rotary
            // positions (the released models attend in one block of ten; the last block attends where
            // fewer than three); Mamba2 twice the model wide in heads of the attention's width, two
            // groups, states twice a head's width up to 128, convolving over 4 positions; Granite's
            // multipliers, as Granite 3's; softmax routing, weights renormalized, beside a shared expert
            // two experts wide; eps 1e-5
            int layers = spec.resolvedLayers();
            List<Integer> scanning = new ArrayList<>();
            for (int b = 0; b < layers; b++) {
                if (b % 5 != 2 && !(layers < 3 && b == layers - 1)) {
                    scanning.add(b);
                }
            }
            int mambaHeads = 2 * dim / headDim;
            ScaleFactors scales = new ScaleFactors(12.0f, 0.22f, (float) (1.0 / headDim), 6.0f);
            ExpertRouting routing = moe ? new ExpertRouting(ExpertRouting.Gating.SOFTMAX, 1, 1, scales.residual())
                    : ExpertRouting.SOFTMAX;
            return new ModelConfig(arch, name, spec.resolvedContext(), dim, layers, heads, kvHeads, headDim, headDim, ffn,
                    experts, topK, moe ? expertFfn : 0, moe ? 2 * expertFfn : 0, 0, true, 1e-5f, 10_000.0, headDim,
                    RopeScaling.NONE, vocabSize, null, routing, 0, scales, LayerPattern.UNROTATED, RopeSections.NONE,
                    new ConvolutionBlocks(4, scanning, new Mamba2(mambaHeads, headDim,
                            Math.min(128, 2 * headDim), mambaHeads % 2 == 0 ? 2 : 1)));
        }
        if (arch.hasRopeSections()) {
            // Qwen3-VL: Qwen3's blocks, base 5e6, the rotating pairs in interleaved sections in the
            // released models' proportion (24, 20, 20 of 64), which leaves the last pairs still for text
            int pairs = headDim / 2;
            int side = Math.max(0, (pairs - 2) / 3);
            return new ModelConfig(arch, name, spec.resolvedContext(), dim, spec.resolvedLayers(), heads, kvHeads,
                    headDim, headDim, ffn, experts, topK, moe ? expertFfn : 0, 0, 0, true, 1e-6f, 5_000_000.0, headDim,
                    RopeScaling.NONE, vocabSize, null, ExpertRouting.SOFTMAX, 0, ScaleFactors.NONE, LayerPattern.UNIFORM,
                    RopeSections.interleaved(pairs - 2 * side, side, side, 0));
        }
        if (arch == Architecture.ERNIE4_5_MOE) {
            // ERNIE 4.5 MoE: a dense first block, then experts in every block (interleave step 1, as
            // the released models), two experts' worth of shared expert, softmax routing ranked with a
            // selection bias, weights renormalized; base 500000, eps 1e-5
            return new ModelConfig(arch, name, spec.resolvedContext(), dim, spec.resolvedLayers(), heads, kvHeads,
                    headDim, headDim, ffn, experts, topK, moe ? expertFfn : 0, shared, leadingDense, true, 1e-5f,
                    500_000.0, headDim, RopeScaling.NONE, vocabSize, null, ExpertRouting.SOFTMAX, 0, ScaleFactors.NONE,
                    new LayerPattern(1, 0, false, 0, 0, 0));
        }
        if (arch.statesScaleFactors()) {
            // Granite 3: Llama's blocks with its multipliers as the released models state them (and
            // in the -shared shape a shared expert one and a half experts wide, as GraniteMoeShared
            // states its own width)
            // (embeddings x12, residual branches x0.22, attention scaled by 1/head width instead of
            // its square root, logits / 6), float literals so that the file's FLOAT32 reads back equal
            ScaleFactors scales = new ScaleFactors(12.0f, 0.22f, (float) (1.0 / headDim), 6.0f);
            ExpertRouting routing = moe ? new ExpertRouting(ExpertRouting.Gating.SOFTMAX, 1, 1, scales.residual())
                    : ExpertRouting.SOFTMAX;
            return new ModelConfig(arch, name, spec.resolvedContext(), dim, spec.resolvedLayers(), heads, kvHeads,
                    headDim, headDim, ffn, experts, topK, moe ? expertFfn : 0,
                    moe && spec.arch() == GeneratedArchitecture.GRANITE_MOE_SHARED ? expertFfn + expertFfn / 2 : 0, 0, true,
                    1e-6f, 10_000.0, headDim, RopeScaling.NONE, vocabSize, null, routing, 0, scales);
        }
        if (arch.listsWindowedBlocks()) {
            // MiMo-V2-Flash: windowed blocks but the first and every sixth from the sixth (blocks 0, 5,
            // 11, ... attend to every position), the windowed ones with twice the KV heads (8 to 4 there)
            // where the heads divide so, a rotary base of 1e4 to the others' 5e6 and sinks; keys half as
            // wide again as values (192 to 128), a third of each rotated (neox); attention outputs times
            // 0.707; a dense first block, then sigmoid routing ranked with a selection bias, weights
            // renormalized and unscaled, no shared expert; eps 1e-5
            int layers = spec.resolvedLayers();
            List<Integer> windowed = new ArrayList<>();
            for (int b = 1; b < layers; b++) {
                if ((b + 1) % 6 != 0) {
                    windowed.add(b);
                }
            }
            int windowKv = heads % (2 * kvHeads) == 0 ? 2 * kvHeads : kvHeads;
            return new ModelConfig(arch, name, spec.resolvedContext(), dim, layers, heads, kvHeads,
                    headDim + headDim / 2, headDim, ffn, experts, topK, expertFfn, 0, leadingDense, true, 1e-5f,
                    5_000_000.0, headDim / 2, RopeScaling.NONE, vocabSize, null,
                    new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 1.0), spec.preset().slidingWindow(),
                    ScaleFactors.NONE, LayerPattern.UNIFORM, RopeSections.NONE, ConvolutionBlocks.NONE, 0,
                    new WindowLayout(windowed, windowKv, 10_000.0), 0.707f);
        }
        if (arch.hasDeltaAttentionBlocks()) {
            // Kimi-Linear: three delta-attention blocks to every latent-attention block (the released
            // model mixes 20 to 7; the last block attends where fewer than four), its heads twice the
            // attention's head width (128 to the model's 72 there) convolving over 4 positions; latent
            // attention as DeepSeek-V3's in proportion, but never rotated and its queries full rank; a
            // dense first block, then sigmoid routing ranked with a selection bias, weights renormalized
            // and scaled by 2.446, beside one expert-wide shared expert; eps 1e-5
            int layers = spec.resolvedLayers();
            List<Integer> recurrent = allButEveryFourth(layers);
            int rotary = headDim / 2;
            int kvRank = 2 * headDim;
            return new ModelConfig(arch, name, spec.resolvedContext(), dim, layers, heads, 1, kvRank + rotary, kvRank, ffn,
                    experts, topK, expertFfn, expertFfn, leadingDense, true, 1e-5f, 10_000.0, rotary, RopeScaling.NONE,
                    vocabSize, new LatentAttention(0, kvRank, headDim + rotary, headDim, 0),
                    new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 2.446f), 0, ScaleFactors.NONE,
                    LayerPattern.UNROTATED, RopeSections.NONE,
                    new ConvolutionBlocks(4, recurrent, DeltaNet.kimi(heads, 2 * headDim)));
        }
        if (arch.latentAttention()) {
            return latentConfig(spec, name, dim, heads, headDim, ffn, experts, topK, expertFfn, shared, leadingDense, eps,
                    ropeBase, vocabSize);
        }
        return new ModelConfig(arch, name, spec.resolvedContext(), dim, spec.resolvedLayers(), heads, kvHeads,
                headDim, headDim, ffn, experts, topK, moe ? expertFfn : 0, shared, leadingDense,
                arch.normalizeTopKByDefault(), eps, ropeBase, headDim, RopeScaling.NONE, vocabSize);
    }

    /**
     * The recurrent blocks of a hybrid that attends in every fourth block, as Qwen3.5's and
     * Kimi-Linear's released models do; the last block attends in a model of fewer than four.
     */
    private static List<Integer> allButEveryFourth(int layers) {
        List<Integer> recurrent = new ArrayList<>();
        for (int b = 0; b < layers; b++) {
            if ((b + 1) % 4 != 0 && !(layers < 4 && b == layers - 1)) {
                recurrent.add(b);
            }
        }
        return recurrent;
    }

    /**
     * DeepSeek-V2's latent attention in proportion to the released models, from the head width
     * {@code dim / heads}: non-rotary and value parts one head wide, rotary half as wide, a latent
     * of two heads' width (kv_lora_rank 512 to heads of 128 there, 4). The Lite shape routes as
     * DeepSeek-V2-Lite (softmax, weights as they are); the other as DeepSeek-V3: queries through a
     * low-rank path half the model wide, sigmoid scores with a selection bias, the experts in four
     * groups of which the best half may be chosen from, weights renormalized and scaled by 2.5.
     */
    private static ModelConfig latentConfig(ModelSpec spec, String name, int dim, int heads, int headDim, int ffn,
                                            int experts, int topK, int expertFfn, int shared, int leadingDense,
                                            double eps, double ropeBase, int vocabSize) {
        boolean lite = spec.arch() == GeneratedArchitecture.DEEPSEEK2_LITE;
        int rotary = headDim / 2;
        int kvRank = 2 * headDim;
        LatentAttention latent = new LatentAttention(lite ? 0 : dim / 2, kvRank, headDim + rotary, headDim, 0);
        boolean groups = !lite && experts % 4 == 0 && experts >= 8 && topK <= experts / 2;
        ExpertRouting routing = lite ? ExpertRouting.SOFTMAX
                : new ExpertRouting(ExpertRouting.Gating.SIGMOID, groups ? 4 : 1, groups ? 2 : 1, 2.5);
        return new ModelConfig(Architecture.DEEPSEEK2, name, spec.resolvedContext(), dim, spec.resolvedLayers(), heads,
                1, kvRank + rotary, kvRank, ffn, experts, topK, expertFfn, shared, leadingDense, !lite, eps, ropeBase,
                rotary, RopeScaling.NONE, vocabSize, latent, routing);
    }

    public static GeneratedModel write(ModelSpec spec, Path out) throws IOException {
        Map<String, GgufValue> tokenizer = spec.vocabFrom() != null ? tokenizerFrom(spec.vocabFrom()) : builtInTokenizer();
        int vocabSize = ((GgufArray) tokenizer.get("tokenizer.ggml.tokens").value()).length();
        ModelConfig config = configFor(spec, vocabSize);
        List<TensorSpec> tensors = tensorsOf(spec, config);
        GgmlType dtype = spec.dtype();
        for (TensorSpec t : tensors) {
            GgmlType type = typeOf(t, dtype);
            if (t.dims()[0] % type.blockSize() != 0) {
                throw new ModelConfigException("tensor " + t.name() + " has rows of " + t.dims()[0]
                        + " values, not a multiple of " + type.name().toLowerCase(java.util.Locale.ROOT)
                        + "'s block size " + type.blockSize() + "; choose dimensions that are, or another --dtype");
            }
        }

        TensorCodecs.forType(dtype); // fails early, before any file is created, for a type we cannot write

        GgufWriter writer = new GgufWriter();
        ModelConfigWriter.metadata(config).forEach(writer::put);
        writer.put("general.file_type", GgufValue.ofUint32(LlamaFileType.of(dtype)));
        if (dtype.isQuantized()) {
            writer.put("general.quantization_version", GgufValue.ofUint32(2));
        }
        writer.put("general.seed", GgufValue.ofUint64(spec.seed()));
        tokenizer.forEach(writer::put);

        for (TensorSpec t : tensors) {
            GgmlType type = typeOf(t, dtype);
            if (t.role() == TensorRole.ROPE_FACTORS) {
                float[] factors = LlamaRopeFactors.of(config.ropeDimensions(), config.ropeFreqBase());
                writer.addTensor(t.name(), type, t.dims(), target -> TensorCodecs.forType(type).quantize(factors, 0, target,
                        0, factors.length));
                continue;
            }
            InitScale scale = InitScale.forTensor(t, config);
            long seed = mix(mix(spec.seed()) ^ t.name().hashCode());
            writer.addTensor(t.name(), type, t.dims(), target -> fill(target, type, t.elementCount(), scale, seed));
        }
        writer.write(out);
        return new GeneratedModel(out, config, tensors.size(), Files.size(out));
    }

    /**
     * The bytes of tensor data the file of {@code spec} holds for a vocabulary of {@code vocabSize}
     * tokens, known without writing it: the file adds only its metadata (the tokenizer among it) and
     * alignment padding.
     */
    public static long tensorBytes(ModelSpec spec, int vocabSize) {
        long bytes = 0;
        for (TensorSpec t : tensorsOf(spec, configFor(spec, vocabSize))) {
            bytes += typeOf(t, spec.dtype()).byteSize(t.elementCount());
        }
        return bytes;
    }

    /** The tensors a spec's file holds: its configuration's, less any its shape leaves out. */
    private static List<TensorSpec> tensorsOf(ModelSpec spec, ModelConfig config) {
        return TensorLayout.expectedTensors(config).stream().filter(t -> !spec.arch().leavesOut(t)).toList();
    }

    /** The vocabulary size of generated models that copy no tokenizer from a file. */
    public static int builtInVocabularySize() {
        return ((GgufArray) builtInTokenizer().get("tokenizer.ggml.tokens").value()).length();
    }

    /**
     * Norms, biases and routers stay F32, as llama.cpp keeps them; the matrices take the file's type,
     * but for MXFP4, which goes to the routed experts alone (the other matrices Q8_0), as in the
     * gpt-oss files llama.cpp's converter writes.
     */
    static GgmlType typeOf(TensorSpec t, GgmlType dtype) {
        if (t.role().isAlwaysF32()) {
            return GgmlType.F32;
        }
        if (dtype == GgmlType.MXFP4 && t.role() != TensorRole.EXPERT) {
            return GgmlType.Q8_0;
        }
        return dtype;
    }

    private static void fill(MemorySegment target, GgmlType type, long elements, InitScale scale, long seed) {
        TensorCodec codec = TensorCodecs.forType(type);
        long chunks = (elements + CHUNK - 1) / CHUNK;
        IntStream.range(0, Math.toIntExact(chunks)).parallel().forEach(c -> {
            long start = (long) c * CHUNK;
            int n = (int) Math.min(CHUNK, elements - start);
            float[] values = new float[n];
            SplittableRandom random = new SplittableRandom(mix(seed + c));
            for (int i = 0; i < n; i++) {
                values[i] = (float) (scale.mean() + scale.std() * random.nextGaussian());
            }
            codec.quantize(values, 0, target, type.byteSize(start), n);
        });
    }

    /** SplitMix64's finalizer: spreads nearby seeds into unrelated streams. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    private static Map<String, GgufValue> builtInTokenizer() {
        ByteLevelBpeTrainer.Vocabulary v = ByteLevelBpeTrainer.trainDefault(DEFAULT_MERGES);
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", GgufValue.ofString("gpt2"));
        m.put("tokenizer.ggml.pre", GgufValue.ofString(ByteLevelBpeTrainer.PRE_TOKENIZER));
        m.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings(v.tokens().toArray(String[]::new))));
        long[] types = v.tokenTypes().stream().mapToLong(Integer::longValue).toArray();
        m.put("tokenizer.ggml.token_type", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, types)));
        m.put("tokenizer.ggml.merges", GgufValue.ofArray(GgufArray.ofStrings(v.merges().toArray(String[]::new))));
        m.put("tokenizer.ggml.bos_token_id", GgufValue.ofUint32(v.bosId()));
        m.put("tokenizer.ggml.eos_token_id", GgufValue.ofUint32(v.eosId()));
        m.put("tokenizer.ggml.padding_token_id", GgufValue.ofUint32(v.padId()));
        m.put("tokenizer.ggml.add_bos_token", GgufValue.ofBool(false));
        m.put("tokenizer.chat_template", GgufValue.ofString(CHATML_TEMPLATE));
        return m;
    }

    /** Every {@code tokenizer.*} key of another GGUF file (e.g. a vocabulary-only file of a real model). */
    private static Map<String, GgufValue> tokenizerFrom(Path file) throws IOException {
        try (GgufFile source = GgufFile.open(file)) {
            GgufMetadata md = source.metadata();
            Map<String, GgufValue> m = new LinkedHashMap<>();
            md.asMap().forEach((k, v) -> {
                if (k.startsWith("tokenizer.")) {
                    m.put(k, v);
                }
            });
            if (!m.containsKey("tokenizer.ggml.tokens")) {
                throw new ModelConfigException(file + " has no tokenizer (metadata key 'tokenizer.ggml.tokens' is missing)");
            }
            md.requireStringArray("tokenizer.ggml.tokens");
            return m;
        }
    }
}
