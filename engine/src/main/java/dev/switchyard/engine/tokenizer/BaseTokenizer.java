package dev.switchyard.engine.tokenizer;

import dev.switchyard.engine.gguf.GgufMetadata;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.TreeSet;

/**
 * What SentencePiece and byte-level BPE tokenizers share: the vocabulary, special tokens, splitting
 * special-token texts out of the input, and decoding.
 */
abstract sealed class BaseTokenizer implements Tokenizer permits SentencePieceTokenizer, ByteLevelBpeTokenizer {

    static final String KEY_MODEL = "tokenizer.ggml.model";
    static final String KEY_PRE = "tokenizer.ggml.pre";
    static final String KEY_TOKENS = "tokenizer.ggml.tokens";
    static final String KEY_SCORES = "tokenizer.ggml.scores";
    static final String KEY_TOKEN_TYPE = "tokenizer.ggml.token_type";
    static final String KEY_MERGES = "tokenizer.ggml.merges";
    static final String KEY_BOS = "tokenizer.ggml.bos_token_id";
    static final String KEY_EOS = "tokenizer.ggml.eos_token_id";
    static final String KEY_EOT = "tokenizer.ggml.eot_token_id";
    static final String KEY_EOM = "tokenizer.ggml.eom_token_id";
    static final String KEY_UNK = "tokenizer.ggml.unknown_token_id";
    static final String KEY_PAD = "tokenizer.ggml.padding_token_id";
    static final String KEY_FIM_PRE = "tokenizer.ggml.fim_pre_token_id";
    static final String KEY_FIM_SUF = "tokenizer.ggml.fim_suf_token_id";
    static final String KEY_FIM_MID = "tokenizer.ggml.fim_mid_token_id";
    static final String KEY_FIM_PAD = "tokenizer.ggml.fim_pad_token_id";
    static final String KEY_FIM_REP = "tokenizer.ggml.fim_rep_token_id";
    static final String KEY_FIM_SEP = "tokenizer.ggml.fim_sep_token_id";
    static final String KEY_ADD_BOS = "tokenizer.ggml.add_bos_token";
    static final String KEY_ADD_EOS = "tokenizer.ggml.add_eos_token";
    static final String KEY_ADD_SPACE_PREFIX = "tokenizer.ggml.add_space_prefix";

    /** Token texts that end a turn when the vocabulary marks them as control tokens (llama.cpp's list). */
    private static final List<String> EOG_TEXTS = List.of(
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<end_of_turn>", "<|endoftext|>",
            "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>",
            "<\uFF5Cend\u2581of\u2581sentence\uFF5C>");

    /**
     * Fill-in-the-middle token texts, for files that do not state the ids (llama.cpp's lists): Qwen's,
     * the dashed and the underscored (StarCoder, refact) spellings, DeepSeek-Coder's, CodeLlama's.
     */
    private static final List<String> FIM_PRE_TEXTS = List.of("<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>",
            "<\uFF5Cfim\u2581begin\uFF5C>", "<PRE>", "\u2581<PRE>");
    private static final List<String> FIM_SUF_TEXTS = List.of("<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",
            "<\uFF5Cfim\u2581hole\uFF5C>", "<SUF>", "\u2581<SUF>");
    private static final List<String> FIM_MID_TEXTS = List.of("<|fim_middle|>", "<fim-middle>", "<fim_middle>",
            "<\uFF5Cfim\u2581end\uFF5C>", "<MID>", "\u2581<MID>");
    private static final List<String> FIM_PAD_TEXTS = List.of("<|fim_pad|>", "<fim-pad>", "<fim_pad>");
    private static final List<String> FIM_REP_TEXTS = List.of("<|repo_name|>", "<repo-name>", "<repo_name>");
    private static final List<String> FIM_SEP_TEXTS = List.of("<|file_sep|>", "<file-sep>", "<file_sep>");

    private static final byte[] EMPTY = new byte[0];

    final String model;
    final String[] texts;
    final TokenType[] types;
    final int size;
    /** Every non-empty token text to its id; where texts repeat, the last id wins (as in llama.cpp). */
    final CharSequenceMap textToId;
    final SpecialTokenSplitter splitter;

    final int bos;
    final int eos;
    final int unk;
    final int pad;
    final boolean addBos;
    final boolean addEos;
    private final int[] eog;
    private final boolean[] isEog;
    private final FimTokens fim;

    /** Pieces with specials suppressed, and the raw texts of control/unknown tokens. */
    private final byte[][] pieces;
    private final byte[][] specialPieces;

    BaseTokenizer(GgufMetadata md, String model, int defaultBos, int defaultEos, int defaultUnk,
                  boolean defaultAddBos) {
        this.model = model;
        this.texts = md.requireStringArray(KEY_TOKENS);
        this.size = texts.length;
        if (size == 0) {
            throw new TokenizerException(KEY_TOKENS + " is empty");
        }
        this.types = new TokenType[size];
        int[] codes = md.optIntArray(KEY_TOKEN_TYPE).orElse(null);
        if (codes != null && codes.length != size) {
            throw new TokenizerException(KEY_TOKEN_TYPE + " has " + codes.length + " entries for " + size + " tokens");
        }
        for (int i = 0; i < size; i++) {
            types[i] = codes == null ? TokenType.NORMAL : TokenType.fromCode(codes[i]);
        }
        this.textToId = new CharSequenceMap(size);
        for (int i = 0; i < size; i++) {
            if (!texts[i].isEmpty()) {
                textToId.put(texts[i], i);
            }
        }
        this.bos = specialId(md, KEY_BOS, defaultBos);
        this.eos = specialId(md, KEY_EOS, defaultEos);
        this.unk = specialId(md, KEY_UNK, defaultUnk);
        this.pad = specialId(md, KEY_PAD, -1);
        this.addBos = md.optBool(KEY_ADD_BOS).orElse(defaultAddBos);
        this.addEos = md.optBool(KEY_ADD_EOS).orElse(false);

        this.fim = new FimTokens(fimId(md, KEY_FIM_PRE, FIM_PRE_TEXTS), fimId(md, KEY_FIM_SUF, FIM_SUF_TEXTS),
                fimId(md, KEY_FIM_MID, FIM_MID_TEXTS), fimId(md, KEY_FIM_PAD, FIM_PAD_TEXTS),
                fimId(md, KEY_FIM_REP, FIM_REP_TEXTS), fimId(md, KEY_FIM_SEP, FIM_SEP_TEXTS));
        TreeSet<Integer> eogSet = new TreeSet<>();
        // a middle ends where the model pads or starts another file, as llama.cpp ends it
        for (int id : new int[] {fim.pad(), fim.repo(), fim.separator()}) {
            if (id >= 0) {
                eogSet.add(id);
            }
        }
        for (int id : new int[] {eos, specialId(md, KEY_EOT, -1), specialId(md, KEY_EOM, -1)}) {
            if (id >= 0) {
                eogSet.add(id);
            }
        }
        for (String t : EOG_TEXTS) {
            int id = textToId.get(t);
            if (id >= 0 && types[id] == TokenType.CONTROL) {
                eogSet.add(id);
            }
        }
        // gpt-oss (harmony): <|end|> ends a message, not the generation, when <|return|> and <|call|> exist.
        int end = textToId.get("<|end|>");
        if (end >= 0 && end != eos && eogSet.contains(textToId.get("<|return|>"))
                && eogSet.contains(textToId.get("<|call|>"))) {
            eogSet.remove(end);
        }
        this.eog = eogSet.stream().mapToInt(Integer::intValue).toArray();
        this.isEog = new boolean[size];
        for (int id : eog) {
            isEog[id] = true;
        }
        // Plain user text must never yield a token the model reads as markup: BOS, EOS, the other
        // end-of-generation tokens, padding or unknown, even where a vocabulary files one of them as
        // user-defined (phi-3's </s>).
        boolean[] reserved = new boolean[size];
        for (int id : new int[] {bos, eos, unk, pad}) {
            if (id >= 0 && id < size) {
                reserved[id] = true;
            }
        }
        for (int id : eog) {
            reserved[id] = true;
        }
        this.splitter = new SpecialTokenSplitter(texts, types, reserved);

        this.pieces = new byte[size][];
        this.specialPieces = new byte[size][];
    }

    /** Builds the decode tables; subclasses call it once their own state is ready. */
    final void buildPieces() {
        for (int id = 0; id < size; id++) {
            TokenType t = types[id];
            byte[] raw = texts[id].getBytes(StandardCharsets.UTF_8);
            switch (t) {
                case CONTROL, UNKNOWN -> {
                    pieces[id] = EMPTY;
                    specialPieces[id] = raw;
                }
                case USER_DEFINED -> pieces[id] = raw;
                // Untyped entries (code 0) are treated as text rather than silently dropped.
                case NORMAL, UNDEFINED -> pieces[id] = normalPiece(id);
                case BYTE -> pieces[id] = bytePiece(id);
                default -> pieces[id] = EMPTY;
            }
            if (specialPieces[id] == null) {
                specialPieces[id] = pieces[id];
            }
        }
    }

    /** The bytes of a normal token. */
    abstract byte[] normalPiece(int id);

    /** The byte of a {@code <0xNN>} token; other spellings decode as normal tokens. */
    byte[] bytePiece(int id) {
        int b = parseByteToken(texts[id]);
        return b >= 0 ? new byte[] {(byte) b} : normalPiece(id);
    }

    static int parseByteToken(String text) {
        if (text.length() == 6 && text.startsWith("<0x") && text.charAt(5) == '>') {
            int hi = Character.digit(text.charAt(3), 16);
            int lo = Character.digit(text.charAt(4), 16);
            if (hi >= 0 && lo >= 0) {
                return hi * 16 + lo;
            }
        }
        return -1;
    }

    private int specialId(GgufMetadata md, String key, int fallback) {
        OptionalLong v = md.optLong(key);
        if (v.isEmpty()) {
            return fallback < size ? fallback : -1;
        }
        long id = v.getAsLong();
        // llama.cpp ignores an out-of-range id and keeps its default; so do we.
        if (id < 0 || id >= size) {
            return fallback < size ? fallback : -1;
        }
        return (int) id;
    }

    final void checkId(int id) {
        if (id < 0 || id >= size) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + size + ")");
        }
    }

    /** The piece without copying; callers must not modify it. */
    final byte[] piece(int id, boolean renderSpecial) {
        checkId(id);
        return renderSpecial ? specialPieces[id] : pieces[id];
    }

    @Override
    public final int[] encode(String text, boolean addBosToken, boolean parseSpecial) {
        return encode(text, addBosToken, parseSpecial, null);
    }

    @Override
    public final int[] encodeWithPlainRanges(String text, boolean addBosToken, int[] plainRanges) {
        return encode(text, addBosToken, true, plainRanges);
    }

    @Override
    public final boolean containsSpecialText(String text) {
        return !text.isEmpty() && splitter.containsReservedText(text);
    }

    private int[] encode(String text, boolean addBosToken, boolean parseSpecial, int[] plainRanges) {
        IntList out = new IntList(Math.max(16, text.length() / 3));
        if (addBosToken && bos >= 0) {
            out.add(bos);
        }
        if (!text.isEmpty()) {
            IntList fragments = splitter.split(text, parseSpecial, plainRanges);
            boolean afterSpecial = true;
            for (int f = 0; f < fragments.size(); f += 3) {
                int token = fragments.get(f + 2);
                if (token != SpecialTokenSplitter.RAW) {
                    out.add(token);
                    afterSpecial = true;
                } else {
                    encodeText(text, fragments.get(f), fragments.get(f + 1), afterSpecial, out);
                    afterSpecial = false;
                }
            }
        }
        return out.toArray();
    }

    /**
     * Tokenizes raw text {@code text[from, to)} (no special tokens in it) onto {@code out}.
     * {@code atStart} is true at the start of the input or right after a special token.
     */
    abstract void encodeText(String text, int from, int to, boolean atStart, IntList out);

    @Override
    public final String decode(int[] ids, boolean renderSpecial) {
        byte[] buf = new byte[Math.max(16, ids.length * 4)];
        int n = 0;
        boolean seenText = false;
        boolean strip = stripsLeadingSpace();
        for (int id : ids) {
            byte[] p = piece(id, renderSpecial);
            if (p.length == 0) {
                continue;
            }
            int off = 0;
            if (!seenText) {
                seenText = true;
                if (strip && p[0] == ' ') {
                    off = 1;
                }
            }
            int len = p.length - off;
            if (n + len > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, n + len));
            }
            System.arraycopy(p, off, buf, n, len);
            n += len;
        }
        return Utf8.decode(buf, 0, n);
    }

    @Override
    public final byte[] pieceBytes(int id, boolean renderSpecial) {
        return piece(id, renderSpecial).clone();
    }

    @Override
    public final String model() {
        return model;
    }

    @Override
    public final int vocabSize() {
        return size;
    }

    @Override
    public final String tokenText(int id) {
        checkId(id);
        return texts[id];
    }

    @Override
    public final TokenType tokenType(int id) {
        checkId(id);
        return types[id];
    }

    /** A fill-in-the-middle token: as the file states it, else the first of {@code texts} the vocabulary has as a control token. */
    private int fimId(GgufMetadata md, String key, List<String> texts) {
        int stated = specialId(md, key, -1);
        if (stated >= 0) {
            return stated;
        }
        for (String t : texts) {
            int id = textToId.get(t);
            if (id >= 0 && (types[id] == TokenType.CONTROL || types[id] == TokenType.USER_DEFINED)) {
                return id;
            }
        }
        return -1;
    }

    @Override
    public final FimTokens fim() {
        return fim;
    }

    @Override
    public final int tokenId(String text) {
        return text.isEmpty() ? -1 : textToId.get(text);
    }

    @Override
    public final int bosId() {
        return bos;
    }

    @Override
    public final int eosId() {
        return eos;
    }

    @Override
    public final int unknownId() {
        return unk;
    }

    @Override
    public final int paddingId() {
        return pad;
    }

    @Override
    public final boolean addBosByDefault() {
        return addBos;
    }

    @Override
    public final boolean addEosByDefault() {
        return addEos;
    }

    @Override
    public final boolean isControl(int id) {
        checkId(id);
        return types[id] == TokenType.CONTROL;
    }

    @Override
    public final boolean isEog(int id) {
        return id >= 0 && id < size && isEog[id];
    }

    @Override
    public final int[] eogIds() {
        return eog.clone();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[model=" + model + ", pre=" + preTokenizer() + ", vocab=" + size + "]";
    }
}
