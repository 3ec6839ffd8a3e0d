package dev.switchyard.server.cli;

import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.modelgen.GeneratedModel;
import dev.switchyard.engine.modelgen.ModelPreset;
import dev.switchyard.engine.modelgen.ModelSpec;
import dev.switchyard.engine.modelgen.RandomModelGenerator;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** {@code switchyard make-model}: writes a seeded random-weight GGUF model. */
@Command(name = "make-model", mixinStandardHelpOptions = true,
        description = {
                "Write a seeded random-weight GGUF model of any supported architecture.",
                "Presets:",
                "  tiny       dim 256, 4 layers, 8 heads, 2 KV heads, 8 experts top-2, FFN 512",
                "  small      dim 512, 6 layers, 8 experts top-2, FFN 1024",
                "  bench      dim 1024, 8 layers, 16 heads, 4 KV heads, 8 experts top-2,",
                "             FFN 2816, context 4096",
                "  gpu-bench  Mixtral-8x7B cut to 4 layers: dim 4096, 32 heads, 8 KV heads,",
                "             8 experts top-2, FFN 14336, context 4096 (11.6 GB in bf16)"})
final class MakeModelCommand implements Callable<Integer> {

    static final String DTYPES = "f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, q3_k, q4_k, q5_k, q6_k, iq4_nl, iq4_xs, mxfp4, "
            + "iq3_s, iq3_xxs, iq2_s, iq2_xs, iq2_xxs, iq1_m, iq1_s";

    @Spec
    CommandSpec spec;

    @Option(names = "--arch", required = true, paramLabel = "NAME",
            description = "mixtral, llama, qwen2, qwen3, qwen2moe, qwen3moe or olmoe.")
    String arch;

    @Option(names = "--preset", defaultValue = "tiny", paramLabel = "NAME", converter = PresetConverter.class,
            description = "tiny, small, bench or gpu-bench (default: ${DEFAULT-VALUE}).")
    ModelPreset preset;

    @Option(names = "--layers", description = "Override the number of layers.")
    Integer layers;

    @Option(names = "--dim", description = "Override the embedding length.")
    Integer dim;

    @Option(names = "--heads", description = "Override the number of attention heads.")
    Integer heads;

    @Option(names = "--kv-heads", description = "Override the number of key/value heads.")
    Integer kvHeads;

    @Option(names = "--experts", description = "Override the number of experts (0 = dense).")
    Integer experts;

    @Option(names = "--top-k", description = "Override the experts used per token.")
    Integer topK;

    @Option(names = "--expert-ffn", description = "Override the expert (or dense) FFN width.")
    Integer expertFfn;

    @Option(names = "--context", description = "Override the context length.")
    Integer context;

    @Option(names = "--dtype", defaultValue = "q8_0", paramLabel = "TYPE",
            description = "Type of the matrices: " + DTYPES + " (default: ${DEFAULT-VALUE}). "
                    + "Norms, biases and routers are always f32, as llama.cpp keeps them; with mxfp4 the routed "
                    + "experts take it and the other matrices q8_0, as llama.cpp's MXFP4 MoE files do.")
    String dtype;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--vocab-from", paramLabel = "FILE.gguf",
            description = "Copy the tokenizer (all tokenizer.* keys) from this GGUF file.")
    Path vocabFrom;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE.gguf", description = "Where to write.")
    Path output;

    @Override
    public Integer call() throws Exception {
        GgmlType type = parseDtype(dtype);
        GeneratedArchitecture generated = GeneratedArchitecture.fromCliName(arch);
        checkPositive("--layers", layers);
        checkPositive("--dim", dim);
        checkPositive("--heads", heads);
        checkPositive("--kv-heads", kvHeads);
        checkPositive("--expert-ffn", expertFfn);
        checkPositive("--context", context);
        if (experts != null && experts < 0) {
            throw new IllegalArgumentException("--experts must be 0 or more, got " + experts);
        }
        ModelSpec model = new ModelSpec(generated, preset, layers, dim, heads, kvHeads, experts, topK, expertFfn,
                context, type, seed, vocabFrom);
        long start = System.nanoTime();
        GeneratedModel written = RandomModelGenerator.write(model, output);
        double seconds = (System.nanoTime() - start) / 1e9;
        ModelConfig c = written.config();
        String routing = c.isMoe() ? ", " + c.expertCount() + " experts top-" + c.expertUsedCount()
                + (c.leadingDenseLayers() > 0 ? " after " + c.leadingDenseLayers() + " dense block(s)" : "") : ", dense";
        spec.commandLine().getOut().printf(Locale.ROOT,
                "wrote %s: %s (%s%s), %d layers, dim %d, vocab %d, %s, %d tensors, %s in %.1f s%n",
                output, generated.cliName(), c.architecture().ggufName(), routing, c.layers(), c.dim(), c.vocabSize(),
                type.name().toLowerCase(Locale.ROOT), written.tensorCount(), Bytes.human(written.fileBytes()), seconds);
        return 0;
    }

    static GgmlType parseDtype(String name) {
        for (GgmlType t : GgmlType.values()) {
            if (t.isSupported() && t.name().equalsIgnoreCase(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unsupported --dtype '" + name + "' (choose from " + DTYPES + ")");
    }

    /** Preset names as {@link ModelPreset#cliName()} spells them ({@code gpu-bench}, not the constant's name). */
    static final class PresetConverter implements ITypeConverter<ModelPreset> {
        @Override
        public ModelPreset convert(String value) {
            try {
                return ModelPreset.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    private static void checkPositive(String option, Integer value) {
        if (value != null && value < 1) {
            throw new IllegalArgumentException(option + " must be at least 1, got " + value);
        }
    }
}
