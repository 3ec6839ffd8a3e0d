package dev.switchyard.engine.tokenizer;

import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufMetadata;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/** Builds the tokenizer a GGUF file describes in its {@code tokenizer.*} metadata. */
public final class Tokenizers {

    /** The {@code tokenizer.ggml.model} values this package implements. */
    public static final Set<String> SUPPORTED_MODELS = Set.of("llama", "gpt2");

    private Tokenizers() {
    }

    /**
     * The tokenizer for {@code tokenizer.ggml.model} "llama" (SentencePiece) or "gpt2" (byte-level
     * BPE, with the pre-tokenizer named by {@code tokenizer.ggml.pre}).
     *
     * @throws TokenizerException for another model type or an unknown pre-tokenizer name
     * @throws dev.switchyard.engine.gguf.MetadataException when a key is missing or mistyped
     */
    public static Tokenizer fromMetadata(GgufMetadata metadata) {
        String model = metadata.requireString(BaseTokenizer.KEY_MODEL);
        return switch (model) {
            case "llama" -> new SentencePieceTokenizer(metadata);
            case "gpt2" -> new ByteLevelBpeTokenizer(metadata,
                    PreTokenizer.forName(metadata.optString(BaseTokenizer.KEY_PRE).orElse(null)));
            default -> throw new TokenizerException("unsupported tokenizer model '" + model
                    + "' (tokenizer.ggml.model); supported: llama (SentencePiece), gpt2 (byte-level BPE)");
        };
    }

    /** Whether {@link #fromMetadata} handles this file's tokenizer model (the pre-tokenizer aside). */
    public static boolean supportsModel(GgufMetadata metadata) {
        return metadata.optString(BaseTokenizer.KEY_MODEL).map(SUPPORTED_MODELS::contains).orElse(false);
    }

    /** Reads the tokenizer of a GGUF file; the file is closed again, the tokenizer keeps no reference. */
    public static Tokenizer fromFile(Path path) throws IOException {
        try (GgufFile file = GgufFile.open(path)) {
            return fromMetadata(file.metadata());
        }
    }
}
