package dev.switchyard.server.serving;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A LoRA adapter to serve ({@code --lora}): its GGUF file, the name requests may give as their
 * {@code model} to apply it (vLLM's {@code --lora-modules NAME=PATH}), and the scale requests that
 * say nothing of adapters apply it at (llama.cpp's {@code --lora-scaled}; 0 with
 * {@code --lora-init-without-apply}).
 */
public record AdapterSpec(String name, Path file, float scale) {

    public AdapterSpec {
        Objects.requireNonNull(file, "file");
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a LoRA adapter needs a name, got '" + name + "' for " + file);
        }
        if (!Float.isFinite(scale)) {
            throw new IllegalArgumentException("the scale of LoRA adapter " + name + " must be a finite number, got " + scale);
        }
    }

    /** The adapters' files, in order: what the engine loads. */
    public static java.util.List<Path> files(java.util.List<AdapterSpec> specs) {
        return specs.stream().map(AdapterSpec::file).toList();
    }

    /**
     * {@code FILE} (named for the file, without {@code .gguf}) or {@code NAME=FILE}, at {@code scale}.
     *
     * @throws IllegalArgumentException if the name or file is empty
     */
    public static AdapterSpec parse(String value, float scale) {
        int eq = value.indexOf('=');
        String name;
        String file;
        if (eq > 0 && !value.substring(0, eq).contains("/")) {
            name = value.substring(0, eq);
            file = value.substring(eq + 1);
        } else {
            file = value;
            Path fileName = Path.of(value).getFileName();
            name = fileName == null ? "" : fileName.toString().replaceFirst("(?i)\\.gguf$", "");
        }
        if (file.isEmpty()) {
            throw new IllegalArgumentException("--lora '" + value + "' names no file");
        }
        return new AdapterSpec(name, Path.of(file), scale);
    }
}
