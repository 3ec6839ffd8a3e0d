package dev.switchyard.engine.modelgen;

import dev.switchyard.kernels.format.GgmlType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The built-in demo model: a tiny Mixtral-style MoE in Q8_0 with the generator's own vocabulary,
 * written on first use into a cache folder and reused after that.
 */
public final class DemoModel {

    /**
     * The cached file's name, with the revision of what the generator writes for it (2: a chat
     * template that lays out tools), so that a file an older build wrote is not reused.
     */
    public static final String FILE_NAME = "demo-mixtral-tiny-q8_0-seed42-r2.gguf";
    public static final ModelSpec SPEC = ModelSpec.of(GeneratedArchitecture.MIXTRAL, ModelPreset.TINY, GgmlType.Q8_0, 42);

    /** Where a model was found or written, and whether this call wrote it. */
    public record Location(Path path, boolean created) {
    }

    private DemoModel() {
    }

    public static Location ensure(Path cacheDir) throws IOException {
        Path path = cacheDir.resolve(FILE_NAME);
        if (Files.isRegularFile(path)) {
            return new Location(path, false);
        }
        Files.createDirectories(cacheDir);
        RandomModelGenerator.write(SPEC, path);
        return new Location(path, true);
    }

    /** {@code $SWITCHYARD_CACHE}, else {@code $XDG_CACHE_HOME/switchyard}, else {@code ~/.cache/switchyard}. */
    public static Path defaultCacheDir() {
        String explicit = System.getenv("SWITCHYARD_CACHE");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("switchyard");
    }
}
