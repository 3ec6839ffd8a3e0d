package dev.switchyard.server.serving;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A draft model for speculative decoding ({@code --draft-model}): a smaller model of the same
 * vocabulary whose greedy tokens the served model checks, as llama.cpp's {@code -md} does.
 *
 * @param file           the draft's GGUF file
 * @param minProbability the least probability, under the draft, of a token it proposes
 *                       ({@code --draft-p-min}, llama.cpp's); 0 proposes as many as asked
 */
public record SpeculativeDraft(Path file, double minProbability) {

    public SpeculativeDraft {
        Objects.requireNonNull(file, "file");
        if (!(minProbability >= 0 && minProbability <= 1)) {
            throw new IllegalArgumentException("--draft-p-min must be 0 to 1, got " + minProbability);
        }
    }
}
