package dev.switchyard.engine.gguf;

import java.io.IOException;

/**
 * A GGUF file that does not follow the format. The message names the field being read and the byte
 * offset where reading stopped, so a user can tell a truncated download from a foreign file.
 */
public final class GgufFormatException extends IOException {

    private final String field;
    private final long offset;

    public GgufFormatException(String field, long offset, String problem) {
        super(problem + " (field '" + field + "' at offset " + offset + ")");
        this.field = field;
        this.offset = offset;
    }

    /** The field being read when the problem was found. */
    public String field() {
        return field;
    }

    /** The byte offset in the file where the problem was found. */
    public long offset() {
        return offset;
    }
}
