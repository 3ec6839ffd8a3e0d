package dev.switchyard.engine.forward;

import dev.switchyard.engine.model.Architecture;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.modelgen.ModelPreset;
import dev.switchyard.engine.modelgen.ModelSpec;
import dev.switchyard.engine.modelgen.RandomModelGenerator;
import dev.switchyard.kernels.format.GgmlType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Small generated models shared by the engine tests, written once per JVM into a temp folder. */
public final class TinyModels {

    private static final Map<String, Path> WRITTEN = new ConcurrentHashMap<>();
    private static final Path DIR;

    static {
        try {
            DIR = Files.createTempDirectory("switchyard-tiny-models");
            DIR.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private TinyModels() {
    }

    /**
     * The tiny preset cut to 2 layers and context 256: every family in well under a second.
     * The DeepSeek families get 3, a dense first block and two that route, so that their routed
     * layers predict one another as every other family's do; the delta-net families get 3, two
     * delta-net blocks and one that attends; Nemotron-H gets 4, a Mamba2 block, an FFN block, an
     * attention block and another FFN block.
     */
    public static Path of(GeneratedArchitecture arch, GgmlType type) {
        return WRITTEN.computeIfAbsent(arch.cliName() + "-" + type, key -> {
            Path file = DIR.resolve(key + ".gguf");
            // a dense block before the routed ones; Llama 4's fourth block is its first unrotated one
            // (AFMoE's and K-EXAONE's fourth is their first global one)
            int layers = arch.architecture() == Architecture.AFMOE || arch.architecture() == Architecture.EXAONE_MOE ? 4
                    : arch.architecture().hasLeadingDenseLayers() ? 3
                    // Qwen3.5: two delta-net blocks, then one attending
                    : arch.architecture().hasDeltaNetBlocks() ? 3
                    : arch.architecture().separatesFeedForward() ? 4
                    : arch.architecture().hasLayerPattern() ? 4 : 2;
            try {
                RandomModelGenerator.write(new ModelSpec(arch, ModelPreset.TINY, layers, null, null, null, null, null, null,
                        256, type, 7, null), file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            file.toFile().deleteOnExit();
            return file;
        });
    }
}
