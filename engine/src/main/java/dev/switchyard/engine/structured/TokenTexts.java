package dev.switchyard.engine.structured;

import dev.switchyard.engine.tokenizer.Tokenizer;

/**
 * What each token of a vocabulary writes, as constrained output reads it: its bytes (a control
 * token's text included, since a marker such as harmony's {@code <|message|>} may open the part the
 * constraint holds), and whether it is a control or end-of-generation token. One per model, built
 * once: about ten bytes per vocabulary entry.
 */
public final class TokenTexts {

    private final byte[][] bytes;
    private final boolean[] control;
    private final boolean[] endOfGeneration;

    private TokenTexts(byte[][] bytes, boolean[] control, boolean[] endOfGeneration) {
        this.bytes = bytes;
        this.control = control;
        this.endOfGeneration = endOfGeneration;
    }

    public static TokenTexts of(Tokenizer tokenizer) {
        int n = tokenizer.vocabSize();
        byte[][] bytes = new byte[n][];
        boolean[] control = new boolean[n];
        boolean[] eog = new boolean[n];
        for (int id = 0; id < n; id++) {
            bytes[id] = tokenizer.pieceBytes(id, true);
            control[id] = tokenizer.isControl(id);
            eog[id] = tokenizer.isEog(id);
        }
        return new TokenTexts(bytes, control, eog);
    }

    /** For tests: tokens {@code 0..texts.length-1} writing {@code texts}, none of them special. */
    static TokenTexts ofPlain(String... texts) {
        byte[][] bytes = new byte[texts.length][];
        for (int i = 0; i < texts.length; i++) {
            bytes[i] = texts[i].getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        return new TokenTexts(bytes, new boolean[texts.length], new boolean[texts.length]);
    }

    public int size() {
        return bytes.length;
    }

    byte[] bytes(int token) {
        return bytes[token];
    }

    boolean isControl(int token) {
        return control[token];
    }

    boolean isEndOfGeneration(int token) {
        return endOfGeneration[token];
    }
}
