package dev.switchyard.engine.tokenizer;

/** A vocabulary that cannot be turned into a tokenizer: unsupported model or pre-tokenizer, or bad data. */
public final class TokenizerException extends RuntimeException {

    public TokenizerException(String message) {
        super(message);
    }
}
