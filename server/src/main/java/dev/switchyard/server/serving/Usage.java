package dev.switchyard.server.serving;

/**
 * Token counts of one request: each distinct prompt once (however many choices it has), every
 * choice's generated tokens (end-of-generation tokens included, as they were computed).
 */
public record Usage(int promptTokens, int completionTokens) {

    public int totalTokens() {
        return promptTokens + completionTokens;
    }
}
