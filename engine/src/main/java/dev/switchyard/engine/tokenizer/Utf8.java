package dev.switchyard.engine.tokenizer;

/**
 * UTF-8 helpers shared by the tokenizers and the detokenizers.
 *
 * <p>{@link #decode} is a lossy decoder that replaces each maximal ill-formed subpart with one
 * U+FFFD (the Unicode "best practice"), and that can stop before a sequence that is still incomplete.
 * Its decisions depend only on the bytes, so decoding a stream in pieces (holding back incomplete
 * tails) gives exactly the text of decoding it in one go; the streaming detokenizer relies on that.
 */
final class Utf8 {

    static final char REPLACEMENT = '\uFFFD';

    private Utf8() {
    }

    /**
     * Decodes {@code bytes[from, to)} into {@code out}. Returns the index of the first byte not
     * consumed: {@code to}, unless {@code endOfInput} is false and the bytes end inside a sequence
     * that may still complete, in which case that sequence's first byte.
     */
    static int decode(byte[] bytes, int from, int to, StringBuilder out, boolean endOfInput) {
        int i = from;
        while (i < to) {
            int b0 = bytes[i] & 0xff;
            if (b0 < 0x80) {
                out.append((char) b0);
                i++;
                continue;
            }
            int need;
            int lo = 0x80;
            int hi = 0xBF;
            int cp;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                need = 1;
                cp = b0 & 0x1F;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                need = 2;
                cp = b0 & 0x0F;
                if (b0 == 0xE0) {
                    lo = 0xA0;
                } else if (b0 == 0xED) {
                    hi = 0x9F;
                }
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                need = 3;
                cp = b0 & 0x07;
                if (b0 == 0xF0) {
                    lo = 0x90;
                } else if (b0 == 0xF4) {
                    hi = 0x8F;
                }
            } else {
                out.append(REPLACEMENT);
                i++;
                continue;
            }
            int j = 1;
            boolean bad = false;
            for (; j <= need; j++) {
                if (i + j >= to) {
                    if (!endOfInput) {
                        return i;
                    }
                    out.append(REPLACEMENT);
                    return to;
                }
                int b = bytes[i + j] & 0xff;
                if (b < (j == 1 ? lo : 0x80) || b > (j == 1 ? hi : 0xBF)) {
                    bad = true;
                    break;
                }
                cp = (cp << 6) | (b & 0x3F);
            }
            if (bad) {
                out.append(REPLACEMENT);
                i += j;
            } else {
                out.appendCodePoint(cp);
                i += need + 1;
            }
        }
        return to;
    }

    static String decode(byte[] bytes, int from, int to) {
        StringBuilder sb = new StringBuilder(to - from);
        decode(bytes, from, to, sb, true);
        return sb.toString();
    }

    /**
     * Encodes {@code s[from, to)} as UTF-8 into {@code dst} (which must hold {@code 3 * (to - from)}
     * bytes) and returns the length. An unpaired surrogate becomes '?', as {@link String#getBytes} does.
     */
    static int encode(CharSequence s, int from, int to, byte[] dst) {
        int n = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                dst[n++] = (byte) c;
            } else if (c < 0x800) {
                dst[n++] = (byte) (0xC0 | (c >> 6));
                dst[n++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                dst[n++] = (byte) (0xF0 | (cp >> 18));
                dst[n++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                dst[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                dst[n++] = (byte) (0x80 | (cp & 0x3F));
            } else if (Character.isSurrogate(c)) {
                dst[n++] = '?';
            } else {
                dst[n++] = (byte) (0xE0 | (c >> 12));
                dst[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                dst[n++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        return n;
    }
}
