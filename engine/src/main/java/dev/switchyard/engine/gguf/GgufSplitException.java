package dev.switchyard.engine.gguf;

import java.io.IOException;

/** A model split over several GGUF files whose parts cannot be found or do not fit together; the message names the file. */
public final class GgufSplitException extends IOException {

    public GgufSplitException(String message) {
        super(message);
    }

    public GgufSplitException(String message, Throwable cause) {
        super(message, cause);
    }
}
