package dev.switchyard.server.cli;

import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.lora.LoraAdapter;
import dev.switchyard.engine.lora.LoraMix;
import dev.switchyard.server.serving.AdapterSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code --lora}, {@code --lora-scaled} and {@code --lora-init-without-apply}, as llama.cpp spells
 * them, shared by the commands that run the model: LoRA adapters loaded beside it, numbered in the
 * order given ({@code --lora} ones first), each applied at its scale unless a request says otherwise.
 */
final class LoraOptions {

    @Option(names = "--lora", paramLabel = "[NAME=]FILE.gguf", split = ",",
            description = "A LoRA adapter (GGUF, as llama.cpp's convert_lora_to_gguf.py writes it) applied at scale 1; "
                    + "repeat it or separate files with commas. NAME (default: the file name without .gguf) is the "
                    + "model name requests give to apply it alone, as vLLM's --lora-modules NAME=PATH.")
    List<String> plain = new ArrayList<>();

    @Option(names = "--lora-scaled", paramLabel = "[NAME=]FILE.gguf:SCALE", split = ",",
            description = "A LoRA adapter applied at SCALE (llama.cpp's --lora-scaled); repeatable.")
    List<String> scaled = new ArrayList<>();

    @Option(names = "--lora-init-without-apply",
            description = "Load the adapters but apply none unless a request asks (its model names one, or its lora "
                    + "field lists them), or POST /lora-adapters sets their scales.")
    boolean withoutApply;

    /** The adapters asked for, checked for files; empty for none. */
    List<AdapterSpec> adapters() {
        List<AdapterSpec> specs = new ArrayList<>();
        for (String value : plain) {
            specs.add(checked("--lora", AdapterSpec.parse(value, withoutApply ? 0 : 1)));
        }
        for (String value : scaled) {
            int colon = value.lastIndexOf(':');
            float scale;
            try {
                scale = colon < 0 ? Float.NaN : Float.parseFloat(value.substring(colon + 1));
            } catch (NumberFormatException e) {
                scale = Float.NaN;
            }
            if (!Float.isFinite(scale)) {
                throw new IllegalArgumentException("--lora-scaled takes FILE:SCALE with a number for SCALE, got '"
                        + value + "'");
            }
            specs.add(checked("--lora-scaled", AdapterSpec.parse(value.substring(0, colon), withoutApply ? 0 : scale)));
        }
        return specs;
    }

    private static AdapterSpec checked(String option, AdapterSpec spec) {
        if (!Files.isRegularFile(spec.file())) {
            throw new IllegalArgumentException(option + ": no file " + spec.file());
        }
        return spec;
    }

    /** Loads {@code specs} into {@code model}; the mix of their own scales, which the command's sequences apply. */
    static LoraMix loadInto(LoadedModel model, List<AdapterSpec> specs) throws IOException {
        model.loadAdapters(AdapterSpec.files(specs));
        return mix(specs);
    }

    /** The mix of the adapters' own scales, numbered as {@link #adapters()} gave them (and as they were loaded). */
    static LoraMix mix(List<AdapterSpec> specs) {
        float[] scales = new float[specs.size()];
        for (int i = 0; i < scales.length; i++) {
            scales[i] = specs.get(i).scale();
        }
        return LoraMix.of(scales);
    }

    /** One line naming what was loaded, for a command's report; empty for none. */
    static String describe(List<AdapterSpec> specs, List<LoraAdapter> loaded) {
        if (loaded.isEmpty()) {
            return "";
        }
        StringBuilder s = new StringBuilder(", LoRA ");
        for (int i = 0; i < loaded.size(); i++) {
            LoraAdapter a = loaded.get(i);
            s.append(i == 0 ? "" : ", ").append(specs.get(i).name()).append(" (").append(a.pairs().size())
                    .append(" matrices, rank ").append(a.pairs().getFirst().rank()).append(", scale ")
                    .append(specs.get(i).scale()).append(')');
        }
        return s.toString();
    }
}
