package dev.switchyard.engine.tokenizer;

/**
 * A vocabulary's fill-in-the-middle tokens, for code models trained to write what goes between a
 * prefix and a suffix (StarCoder, DeepSeek-Coder, Qwen2.5-Coder, Qwen3-Coder, CodeLlama): the
 * prompt is {@code prefix-token prefix suffix-token suffix middle-token}, and the model writes the
 * middle. {@code pad}, {@code repo} and {@code separator} (padding, a repository's name, a file's
 * start) end a middle where a model writes them; -1 where the vocabulary has no such token.
 */
public record FimTokens(int prefix, int suffix, int middle, int pad, int repo, int separator) {

    /** No fill-in-the-middle tokens. */
    public static final FimTokens NONE = new FimTokens(-1, -1, -1, -1, -1, -1);

    /** Whether a prompt can ask for a middle: the prefix, suffix and middle tokens are all there. */
    public boolean canFill() {
        return prefix >= 0 && suffix >= 0 && middle >= 0;
    }
}
