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
    /** The plain tokens (neither control nor end of generation, with text) by their first byte. */
    private final int[][] byFirstByte;
    /** The rest: control, end-of-generation and empty tokens. */
    private final int[] special;
    /** The plain tokens in the order of their bytes (unsigned), built when first asked for. */
    private volatile Sorted sortedPlain;

    TokenTexts(byte[][] bytes, boolean[] control, boolean[] endOfGeneration) {
        this.bytes = bytes;
        this.control = control;
        this.endOfGeneration = endOfGeneration;
        int[] counts = new int[256];
        int specials = 0;
        for (int t = 0; t < bytes.length; t++) {
            if (isPlain(t)) {
                counts[bytes[t][0] & 0xff]++;
            } else {
                specials++;
            }
        }
        this.byFirstByte = new int[256][];
        for (int b = 0; b < 256; b++) {
            byFirstByte[b] = new int[counts[b]];
        }
        this.special = new int[specials];
        int[] filled = new int[256];
        int s = 0;
        for (int t = 0; t < bytes.length; t++) {
            if (isPlain(t)) {
                int b = bytes[t][0] & 0xff;
                byFirstByte[b][filled[b]++] = t;
            } else {
                special[s++] = t;
            }
        }
    }

    private boolean isPlain(int token) {
        return !control[token] && !endOfGeneration[token] && bytes[token].length > 0;
    }

    /** The plain tokens whose text starts with {@code b}. */
    int[] startingWith(int b) {
        return byFirstByte[b];
    }

    /**
     * The plain tokens in the order of their bytes, compared unsigned, so that tokens sharing a
     * beginning are neighbours (a vocabulary walked as a trie): {@code tokens[k]}'s bytes are
     * {@code bytes[start[k] .. start[k + 1])}, and the first {@code shared[k]} of them are those of
     * {@code tokens[k - 1]}.
     */
    record Sorted(int[] tokens, byte[] bytes, int[] start, int[] shared) {
    }

    /** The plain tokens in the order of their bytes, laid out for a walk. */
    Sorted sortedPlain() {
        Sorted sorted = sortedPlain;
        if (sorted == null) {
            int[] tokens = java.util.stream.IntStream.range(0, bytes.length).filter(this::isPlain).boxed()
                    .sorted((a, b) -> java.util.Arrays.compareUnsigned(bytes[a], bytes[b]))
                    .mapToInt(Integer::intValue).toArray();
            int[] start = new int[tokens.length + 1];
            int[] shared = new int[tokens.length];
            for (int k = 0; k < tokens.length; k++) {
                byte[] b = bytes[tokens[k]];
                start[k + 1] = start[k] + b.length;
                if (k > 0) {
                    byte[] a = bytes[tokens[k - 1]];
                    int i = java.util.Arrays.mismatch(a, b);
                    shared[k] = i < 0 ? b.length : i;
                }
            }
            byte[] flat = new byte[start[tokens.length]];
            for (int k = 0; k < tokens.length; k++) {
                System.arraycopy(bytes[tokens[k]], 0, flat, start[k], start[k + 1] - start[k]);
            }
            sorted = new Sorted(tokens, flat, start, shared);
            sortedPlain = sorted; // built twice at worst, by two replies at once: the same either way
        }
        return sorted;
    }

    /** The tokens that are not plain: control, end of generation, empty. */
    int[] special() {
        return special;
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
