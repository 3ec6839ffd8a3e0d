package dev.switchyard.engine.tokenizer;

/**
 * The kind of a vocabulary entry, as GGUF stores it in {@code tokenizer.ggml.token_type}. The numeric
 * codes are llama.cpp's (and SentencePiece's) token types.
 */
public enum TokenType {
    /** Code 0, or any code this reader does not know: the token never renders. */
    UNDEFINED(0),
    /** Ordinary text. */
    NORMAL(1),
    /** The unknown-piece token ({@code <unk>}). */
    UNKNOWN(2),
    /** A control token such as {@code <s>} or {@code <|im_end|>}: never produced from plain text. */
    CONTROL(3),
    /** An added token stored as raw text; it is matched in input text before any other splitting. */
    USER_DEFINED(4),
    /** A reserved slot. */
    UNUSED(5),
    /** A byte-fallback token {@code <0xNN>}. */
    BYTE(6);

    private final int code;

    TokenType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static TokenType fromCode(int code) {
        return switch (code) {
            case 1 -> NORMAL;
            case 2 -> UNKNOWN;
            case 3 -> CONTROL;
            case 4 -> USER_DEFINED;
            case 5 -> UNUSED;
            case 6 -> BYTE;
            default -> UNDEFINED;
        };
    }

    /** Control and unknown tokens: split out of input text only on request, and not rendered by default. */
    public boolean isSpecial() {
        return this == CONTROL || this == UNKNOWN;
    }
}
