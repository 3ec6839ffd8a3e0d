package dev.switchyard.engine.tokenizer;

import java.util.Arrays;

/**
 * Turns generated token ids, fed one at a time, into text deltas that are safe to send as they come.
 *
 * <p>A delta never ends inside a character: bytes of an incomplete UTF-8 sequence (a byte-fallback
 * token, or a byte-level BPE token holding part of a character) are held back until the sequence
 * completes; bytes that can never complete become U+FFFD. For SentencePiece vocabularies that prefix
 * a space, the space in front of the reply's first text is dropped, as llama.cpp's detokenizer does.
 * The deltas of {@link #push} followed by {@link #finish} concatenate to exactly
 * {@link Tokenizer#decode(int[], boolean)} of the same ids.
 *
 * <p>One instance follows one reply; it is not thread-safe.
 */
public final class StreamingDetokenizer {

    private final Tokenizer tokenizer;
    private final boolean renderSpecial;
    private final boolean stripLeadingSpace;
    /** Control tokens rendered as their text although {@code renderSpecial} is off; few, so a scan is cheapest. */
    private final int[] renderedControls;
    private byte[] pending = new byte[16];
    private int pendingLength;
    private boolean seenText;

    /** Control tokens silent, leading space handled as the vocabulary's {@link Tokenizer#decode} does. */
    public StreamingDetokenizer(Tokenizer tokenizer) {
        this(tokenizer, false);
    }

    public StreamingDetokenizer(Tokenizer tokenizer, boolean renderSpecial) {
        this(tokenizer, renderSpecial, tokenizer.stripsLeadingSpace());
    }

    /**
     * @param renderSpecial     emit the text of control and unknown tokens
     * @param stripLeadingSpace drop a space in front of the first text (pass false when continuing
     *                          text that already has a beginning)
     */
    public StreamingDetokenizer(Tokenizer tokenizer, boolean renderSpecial, boolean stripLeadingSpace) {
        this(tokenizer, renderSpecial, stripLeadingSpace, new int[0]);
    }

    /**
     * Control tokens silent except {@code renderedControls}, whose text is emitted: markup that a
     * reader of the reply needs to see (a chat format's channel markers), though users never do.
     */
    public StreamingDetokenizer(Tokenizer tokenizer, int[] renderedControls) {
        this(tokenizer, false, tokenizer.stripsLeadingSpace(), renderedControls);
    }

    private StreamingDetokenizer(Tokenizer tokenizer, boolean renderSpecial, boolean stripLeadingSpace,
                                 int[] renderedControls) {
        this.tokenizer = tokenizer;
        this.renderSpecial = renderSpecial;
        this.stripLeadingSpace = stripLeadingSpace;
        this.renderedControls = renderedControls.clone();
    }

    /** Adds a token and returns the text that became complete (possibly empty). */
    public String push(int id) {
        boolean render = renderSpecial || rendered(id);
        byte[] p = tokenizer instanceof BaseTokenizer base ? base.piece(id, render) : tokenizer.pieceBytes(id, render);
        if (p.length == 0) {
            return "";
        }
        int off = 0;
        if (!seenText) {
            seenText = true;
            if (stripLeadingSpace && p[0] == ' ') {
                off = 1;
            }
        }
        int len = p.length - off;
        if (pendingLength + len > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + len));
        }
        System.arraycopy(p, off, pending, pendingLength, len);
        pendingLength += len;
        return drain(false);
    }

    private boolean rendered(int id) {
        for (int r : renderedControls) {
            if (r == id) {
                return true;
            }
        }
        return false;
    }

    /** Ends the reply: returns whatever was held back, incomplete sequences as U+FFFD. */
    public String finish() {
        return drain(true);
    }

    /** Whether bytes are being held back waiting for the rest of a character. */
    public boolean hasPending() {
        return pendingLength > 0;
    }

    private String drain(boolean endOfInput) {
        if (pendingLength == 0) {
            return "";
        }
        StringBuilder sb = new StringBuilder(pendingLength);
        int consumed = Utf8.decode(pending, 0, pendingLength, sb, endOfInput);
        int rest = pendingLength - consumed;
        if (rest > 0) {
            System.arraycopy(pending, consumed, pending, 0, rest);
        }
        pendingLength = rest;
        return sb.toString();
    }
}
