package dev.switchyard.engine.tokenizer;

import dev.switchyard.engine.gguf.GgufArray;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufMetadata;
import dev.switchyard.engine.gguf.GgufValueType;
import dev.switchyard.engine.gguf.GgufWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Small vocabularies written as real GGUF files with {@link GgufWriter} and read back, so tests of
 * exact token ids can be worked out by hand.
 */
final class HandmadeVocabularies {

    private HandmadeVocabularies() {
    }

    // Byte-level BPE: ids 0..255 are the 256 byte characters in byte order, so a lone byte b is token b.
    static final int BPE_AB = 256;
    static final int BPE_ABC = 257;
    static final int BPE_SPACE_A = 258;
    static final int BPE_SPACE_AB = 259;
    static final int BPE_ENDOFTEXT = 260;
    static final int BPE_IMG = 261;

    /** A byte-level BPE vocabulary: merges "a b", "ab c", "Ġ a", "Ġa b"; a control and a user-defined token. */
    static GgufMetadata bpe(String pre, Consumer<GgufWriter> extra) {
        List<String> tokens = new ArrayList<>();
        List<Long> types = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf(ByteLevel.charOf(b)));
            types.add(1L);
        }
        tokens.addAll(List.of("ab", "abc", "Ġa", "Ġab", "<|endoftext|>", "[IMG]"));
        types.addAll(List.of(1L, 1L, 1L, 1L, 3L, 4L));
        GgufWriter w = new GgufWriter()
                .putString("tokenizer.ggml.model", "gpt2")
                .putArray("tokenizer.ggml.tokens", GgufArray.ofStrings(tokens.toArray(String[]::new)))
                .putArray("tokenizer.ggml.token_type", GgufArray.ofInts(GgufValueType.INT32,
                        types.stream().mapToLong(Long::longValue).toArray()))
                .putArray("tokenizer.ggml.merges", GgufArray.ofStrings("a b", "ab c", "Ġ a", "Ġa b"));
        if (pre != null) {
            w.putString("tokenizer.ggml.pre", pre);
        }
        extra.accept(w);
        return writeAndRead(w);
    }

    static Tokenizer bpe() {
        return Tokenizers.fromMetadata(bpe("gpt-2", w -> { }));
    }

    // SentencePiece: 0 <unk>, 1 <s>, 2 </s>, 3..258 <0x00>..<0xFF>, then the pieces below.
    static final int SPM_UNK = 0;
    static final int SPM_BOS = 1;
    static final int SPM_EOS = 2;
    static final int SPM_BYTE_0 = 3;
    static final int SPM_SPACE = 259;
    static final int SPM_A = 260;
    static final int SPM_B = 261;
    static final int SPM_C = 262;
    static final int SPM_AB = 263;
    static final int SPM_BC = 264;
    static final int SPM_SPACE_A = 265;
    static final int SPM_ABC = 266;

    /** Piece scores: "bc" beats "ab", "abc" beats "▁a", so merging order is by score, not position. */
    static GgufMetadata spm(Consumer<GgufWriter> extra) {
        List<String> tokens = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<Long> types = new ArrayList<>(List.of(2L, 3L, 3L));
        List<Float> scores = new ArrayList<>(List.of(0f, 0f, 0f));
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format("<0x%02X>", b));
            types.add(6L);
            scores.add(0f);
        }
        String[] pieces = {"▁", "a", "b", "c", "ab", "bc", "▁a", "abc"};
        float[] pieceScores = {-1f, -2f, -2f, -2f, -1.5f, -0.5f, -3f, -1f};
        for (int i = 0; i < pieces.length; i++) {
            tokens.add(pieces[i]);
            types.add(1L);
            scores.add(pieceScores[i]);
        }
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
        }
        GgufWriter w = new GgufWriter()
                .putString("tokenizer.ggml.model", "llama")
                .putArray("tokenizer.ggml.tokens", GgufArray.ofStrings(tokens.toArray(String[]::new)))
                .putArray("tokenizer.ggml.scores", GgufArray.ofFloats(s))
                .putArray("tokenizer.ggml.token_type", GgufArray.ofInts(GgufValueType.INT32,
                        types.stream().mapToLong(Long::longValue).toArray()))
                .putUint32("tokenizer.ggml.bos_token_id", SPM_BOS)
                .putUint32("tokenizer.ggml.eos_token_id", SPM_EOS)
                .putUint32("tokenizer.ggml.unknown_token_id", SPM_UNK);
        extra.accept(w);
        return writeAndRead(w);
    }

    static Tokenizer spm() {
        return Tokenizers.fromMetadata(spm(w -> { }));
    }

    static GgufMetadata writeAndRead(GgufWriter writer) {
        try {
            Path file = Files.createTempFile("switchyard-vocab-", ".gguf");
            try {
                writer.write(file);
                try (GgufFile f = GgufFile.open(file)) {
                    return f.metadata();
                }
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
