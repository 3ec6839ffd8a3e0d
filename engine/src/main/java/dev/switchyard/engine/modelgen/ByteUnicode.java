package dev.switchyard.engine.modelgen;

/**
 * GPT-2's reversible map from bytes to printable characters: printable Latin-1 bytes stand for
 * themselves, the others (controls, space, 0x7F-0xA0, 0xAD) take code points from U+0100 upward in
 * byte order. Byte-level BPE vocabularies spell every token in these characters.
 */
final class ByteUnicode {

    private ByteUnicode() {
    }

    static String[] byteToSymbol() {
        String[] map = new String[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = Character.toString(printable ? b : next++);
        }
        return map;
    }
}
