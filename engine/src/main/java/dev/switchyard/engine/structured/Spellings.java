package dev.switchyard.engine.structured;

import java.util.List;

/**
 * A choice among exact texts followed byte by byte ({@code enum} values, function names): whether a
 * byte carries a spelling on, whether the spelling is one of the texts, and whether it is one that
 * nothing goes on from. What the JSON matcher's literals and the constraint's choices share.
 */
final class Spellings {

    private Spellings() {
    }

    /** Whether {@code text} starts with the first {@code length} bytes of {@code spelled}. */
    static boolean startsWith(byte[] text, byte[] spelled, int length) {
        if (text.length < length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (text[i] != spelled[i]) {
                return false;
            }
        }
        return true;
    }

    /** Whether some text goes on from the spelling with {@code b}. */
    static boolean goesOn(List<byte[]> texts, byte[] spelled, int length, byte b) {
        for (byte[] t : texts) {
            if (t.length > length && t[length] == b && startsWith(t, spelled, length)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the spelling is one of the texts. */
    static boolean isOne(List<byte[]> texts, byte[] spelled, int length) {
        for (byte[] t : texts) {
            if (t.length == length && startsWith(t, spelled, length)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the spelling is one of the texts and none goes on from it: the choice is made. */
    static boolean ends(List<byte[]> texts, byte[] spelled, int length) {
        boolean one = false;
        for (byte[] t : texts) {
            if (startsWith(t, spelled, length)) {
                if (t.length > length) {
                    return false;
                }
                one = true;
            }
        }
        return one;
    }
}
