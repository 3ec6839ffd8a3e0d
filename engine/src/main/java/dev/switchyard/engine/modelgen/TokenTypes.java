package dev.switchyard.engine.modelgen;

/** ggml's token type codes ({@code tokenizer.ggml.token_type}). */
final class TokenTypes {
    static final int NORMAL = 1;
    static final int CONTROL = 3;

    private TokenTypes() {
    }
}
