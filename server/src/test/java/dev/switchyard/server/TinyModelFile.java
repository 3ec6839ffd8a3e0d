package dev.switchyard.server;

import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.modelgen.ModelPreset;
import dev.switchyard.engine.modelgen.ModelSpec;
import dev.switchyard.engine.modelgen.RandomModelGenerator;
import dev.switchyard.kernels.format.GgmlType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The tiny Mixtral the server tests serve (2 layers, context 256, the generator's ChatML template), written once per JVM. */
public final class TinyModelFile {

    private static Path model;
    private static Path deepseek;

    private TinyModelFile() {
    }

    public static synchronized Path path() {
        if (model == null) {
            try {
                Path dir = Files.createTempDirectory("switchyard-server-tests");
                dir.toFile().deleteOnExit();
                model = dir.resolve("tiny-mixtral.gguf");
                RandomModelGenerator.write(new ModelSpec(GeneratedArchitecture.MIXTRAL, ModelPreset.TINY, 2, null, null,
                        null, null, null, null, 256, GgmlType.Q8_0, 11, null), model);
                model.toFile().deleteOnExit();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return model;
    }

    /**
     * A tiny DeepSeek-V3-shaped model (3 blocks: a dense first block, then two that route; latent
     * attention; sigmoid routing over expert groups), written once per JVM.
     */
    public static synchronized Path deepseek() {
        if (deepseek == null) {
            try {
                Path dir = Files.createTempDirectory("switchyard-server-tests");
                dir.toFile().deleteOnExit();
                deepseek = dir.resolve("tiny-deepseek2.gguf");
                RandomModelGenerator.write(new ModelSpec(GeneratedArchitecture.DEEPSEEK2, ModelPreset.TINY, 3, null, null,
                        null, null, null, null, 256, GgmlType.Q8_0, 11, null), deepseek);
                deepseek.toFile().deleteOnExit();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return deepseek;
    }
}
