package dev.switchyard.engine.modelgen;

import dev.switchyard.engine.model.ModelConfig;
import java.nio.file.Path;

/** What the generator wrote. */
public record GeneratedModel(Path path, ModelConfig config, int tensorCount, long fileBytes) {
}
