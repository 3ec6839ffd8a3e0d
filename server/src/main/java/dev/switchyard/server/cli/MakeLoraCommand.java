package dev.switchyard.server.cli;

import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.lora.LoraTarget;
import dev.switchyard.engine.modelgen.RandomLoraGenerator;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code switchyard make-lora}: writes a seeded random LoRA adapter for a model file. */
@Command(name = "make-lora", mixinStandardHelpOptions = true,
        description = {"Write a seeded random LoRA adapter (GGUF, laid out as llama.cpp's convert_lora_to_gguf.py "
                + "writes adapters) for a model file, to try --lora where no trained adapter is at hand."})
final class MakeLoraCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE.gguf", description = "The model it adapts.")
    Path model;

    @Option(names = "--rank", defaultValue = "16", description = "LoRA rank (default: ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--alpha", defaultValue = "32", description = "adapter.lora.alpha: the product is scaled by "
            + "alpha / rank; 0 scales it by the request's scale alone (default: ${DEFAULT-VALUE}).")
    float alpha;

    @Option(names = "--targets", defaultValue = "attn_q,attn_k,attn_v,attn_output", split = ",", paramLabel = "NAMES",
            description = "Matrices to adapt, by GGUF name: attn_q, attn_k, attn_v, attn_output, attn_q_a, attn_q_b, "
                    + "attn_kv_a_mqa, ffn_gate, ffn_up, ffn_down, ffn_gate_inp (routers), ffn_gate_shexp, ffn_up_shexp, "
                    + "ffn_down_shexp, ffn_gate_exps, ffn_up_exps, ffn_down_exps (routed experts, a pair per expert), "
                    + "output; or all (default: ${DEFAULT-VALUE}, as LoRA fine-tunes usually train).")
    List<String> targets;

    @Option(names = "--dtype", defaultValue = "f16", paramLabel = "TYPE",
            description = "Type of the LoRA tensors: f32, f16, bf16 or q8_0 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--strength", defaultValue = "0.5",
            description = "How large the adapter's share of each product is beside the matrix's own, at scale 1 "
                    + "(default: ${DEFAULT-VALUE}).")
    double strength;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE.gguf", description = "Where to write.")
    Path output;

    @Override
    public Integer call() throws Exception {
        GgmlType type = switch (dtype.toLowerCase(Locale.ROOT)) {
            case "f32" -> GgmlType.F32;
            case "f16" -> GgmlType.F16;
            case "bf16" -> GgmlType.BF16;
            case "q8_0" -> GgmlType.Q8_0;
            default -> throw new IllegalArgumentException("--dtype must be f32, f16, bf16 or q8_0, got '" + dtype + "'");
        };
        Set<LoraTarget> chosen = EnumSet.noneOf(LoraTarget.class);
        for (String name : targets) {
            if (name.equals("all")) {
                chosen.addAll(EnumSet.allOf(LoraTarget.class));
                continue;
            }
            chosen.add(LoraTarget.ofTensor(name).orElseThrow(() -> new IllegalArgumentException(
                    "--targets: no matrix an adapter can change is called '" + name + "'")));
        }
        long start = System.nanoTime();
        RandomLoraGenerator.Written written;
        try (GgufFile base = GgufFile.open(model)) {
            written = RandomLoraGenerator.write(base,
                    new RandomLoraGenerator.LoraSpec(rank, alpha, chosen, type, seed, strength), output);
        }
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s: LoRA for %s, rank %d, alpha %s, %d matrices, %s, %s in %.1f s%n",
                output, model.getFileName(), rank, alpha, written.matrices(), type.name().toLowerCase(Locale.ROOT),
                Bytes.human(written.bytes()), (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
