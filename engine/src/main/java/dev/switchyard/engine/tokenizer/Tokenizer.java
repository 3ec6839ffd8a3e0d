package dev.switchyard.engine.tokenizer;

/**
 * Text to token ids and back, for one model vocabulary. Instances are immutable and safe to share
 * between threads. Create them with {@link Tokenizers#fromMetadata}.
 *
 * <p>Token ids are indices into the vocabulary, {@code 0 <= id < vocabSize()}; methods taking an id
 * throw {@link IllegalArgumentException} for anything else. Absent special tokens are reported as -1.
 */
public interface Tokenizer {

    /** {@code tokenizer.ggml.model}: "llama" (SentencePiece) or "gpt2" (byte-level BPE). */
    String model();

    /** The pre-tokenizer name for byte-level BPE vocabularies; "default" for SentencePiece ones. */
    String preTokenizer();

    int vocabSize();

    /**
     * Tokenizes {@code text}.
     *
     * @param addBos       put the BOS token first (when the vocabulary has one). Whether a model
     *                     wants it is {@link #addBosByDefault()}; this method does exactly what it is told.
     * @param parseSpecial recognise control-token texts such as {@code <|im_start|>} or {@code </s>}
     *                     in the text and emit them as those tokens. Leave this off for untrusted user
     *                     text: then such strings are tokenized as the plain characters they are.
     *                     User-defined tokens (type 4) are always recognised, as llama.cpp and
     *                     Hugging Face tokenizers do, since they stand for ordinary text.
     */
    int[] encode(String text, boolean addBos, boolean parseSpecial);

    /**
     * Encodes a prompt rendered from a chat template: special tokens are parsed, except where a
     * special token's text overlaps one of {@code plainRanges} (sorted, disjoint [start, end) pairs
     * of char offsets: the messages' own content), where it stays text.
     */
    int[] encodeWithPlainRanges(String text, boolean addBos, int[] plainRanges);

    /** Whether {@code text} contains the text of a control or reserved token (e.g. {@code <|im_end|>}). */
    boolean containsSpecialText(String text);

    /** Plain text, no BOS, special strings not parsed. */
    default int[] encode(String text) {
        return encode(text, false, false);
    }

    /**
     * The text of a token sequence. Control and unknown tokens contribute nothing; for SentencePiece
     * vocabularies that prefix a space, the space in front of the first text is removed (see
     * {@link #stripsLeadingSpace()}). Invalid UTF-8 (say, a lone byte-fallback token) decodes to U+FFFD.
     */
    default String decode(int[] ids) {
        return decode(ids, false);
    }

    /** As {@link #decode(int[])}, rendering control and unknown tokens as their text when asked. */
    String decode(int[] ids, boolean renderSpecial);

    /** The bytes token {@code id} contributes to decoded text (empty for control and unknown tokens). */
    default byte[] pieceBytes(int id) {
        return pieceBytes(id, false);
    }

    byte[] pieceBytes(int id, boolean renderSpecial);

    /** The vocabulary entry as stored (byte-level or '▁'-escaped spelling). */
    String tokenText(int id);

    TokenType tokenType(int id);

    /** The id of the vocabulary entry spelled exactly {@code text}, or -1. */
    int tokenId(String text);

    int bosId();

    int eosId();

    /** The unknown token ({@code <unk>}), or -1. */
    int unknownId();

    int paddingId();

    /** {@code tokenizer.ggml.add_bos_token}, defaulting as llama.cpp does (true for SentencePiece and Llama 3). */
    boolean addBosByDefault();

    /** {@code tokenizer.ggml.add_eos_token}, default false. */
    boolean addEosByDefault();

    /**
     * Whether decoding drops the space in front of the first piece of text: true for SentencePiece
     * vocabularies that add a space prefix when encoding ({@code tokenizer.ggml.add_space_prefix},
     * default true), so that {@code decode(encode(s)) == s}.
     */
    boolean stripsLeadingSpace();

    boolean isControl(int id);

    /** The fill-in-the-middle tokens, {@link FimTokens#NONE} where the vocabulary has none. */
    default FimTokens fim() {
        return FimTokens.NONE;
    }

    /** End of generation: EOS, EOT/EOM when declared, and control tokens such as {@code <|im_end|>}. */
    boolean isEog(int id);

    /** The end-of-generation ids, ascending. */
    int[] eogIds();

    /** A detokenizer for one generated reply, with this vocabulary's defaults. */
    default StreamingDetokenizer newDetokenizer() {
        return new StreamingDetokenizer(this);
    }
}
