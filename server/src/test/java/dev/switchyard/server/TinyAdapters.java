package dev.switchyard.server;

import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.lora.LoraTarget;
import dev.switchyard.engine.modelgen.RandomLoraGenerator;
import dev.switchyard.kernels.format.GgmlType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;

/**
 * LoRA adapters for the tiny model the server tests serve, written into a folder of their own:
 * {@code style} (rank 8 on the attention projections) and {@code terse} (rank 4 on every matrix an
 * adapter may change, the routed experts included), each as strong as the model's own products.
 */
public record TinyAdapters(Path dir, Path style, Path terse) implements AutoCloseable {

    public static TinyAdapters write(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        Path style = dir.resolve("style.gguf");
        Path terse = dir.resolve("terse.gguf");
        try (GgufFile base = GgufFile.open(TinyModelFile.path())) {
            RandomLoraGenerator.write(base, new RandomLoraGenerator.LoraSpec(8, 16, RandomLoraGenerator.ATTENTION,
                    GgmlType.F16, 1, 1.0), style);
            RandomLoraGenerator.write(base, new RandomLoraGenerator.LoraSpec(4, 8, EnumSet.allOf(LoraTarget.class),
                    GgmlType.F16, 2, 1.0), terse);
        }
        return new TinyAdapters(dir, style, terse);
    }

    /** Deletes the folder and what is in it. */
    @Override
    public void close() throws IOException {
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }
}
