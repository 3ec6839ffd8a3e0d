package dev.switchyard.server.cli;

import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.lora.LoraAdapter;
import dev.switchyard.engine.lora.LoraMerge;
import dev.switchyard.server.serving.AdapterSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code switchyard export-lora}: merges LoRA adapters into a copy of their model, as llama.cpp's llama-export-lora. */
@Command(name = "export-lora", mixinStandardHelpOptions = true,
        description = {"Merge LoRA adapters into a copy of their model (each adapted matrix becomes W + scale x "
                + "alpha / rank x B A, in its own type), as llama.cpp's llama-export-lora does. The merged model "
                + "computes what the model computes with the adapters applied, at no cost per token."})
final class ExportLoraCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE.gguf", description = "The model.")
    Path model;

    @picocli.CommandLine.Mixin
    LoraOptions lora = new LoraOptions();

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE.gguf", description = "Where to write.")
    Path output;

    @Override
    public Integer call() throws Exception {
        List<AdapterSpec> specs = lora.adapters();
        if (specs.isEmpty()) {
            throw new IllegalArgumentException("name at least one adapter to merge (--lora or --lora-scaled)");
        }
        if (output.toAbsolutePath().normalize().equals(model.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("--output must not be the model itself");
        }
        long start = System.nanoTime();
        List<LoraAdapter> opened = new ArrayList<>();
        LoraMerge.Merged merged;
        try (GgufFile base = GgufFile.open(model)) {
            List<LoraMerge.Scaled> scaled = new ArrayList<>();
            for (AdapterSpec s : specs) {
                LoraAdapter a = LoraAdapter.open(s.file(), base);
                opened.add(a);
                scaled.add(new LoraMerge.Scaled(a, s.scale()));
            }
            merged = LoraMerge.write(base, scaled, output);
        } finally {
            opened.forEach(LoraAdapter::close);
        }
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s: %s with %d adapter(s) merged, %d of %d tensors "
                        + "changed, in %.1f s%n", output, model.getFileName(), specs.size(), merged.matricesChanged(),
                merged.tensors(), (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
