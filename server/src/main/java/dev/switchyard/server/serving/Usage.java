package dev.switchyard.server.serving;

/**
 * Token counts of one request: each distinct prompt once (however many choices it has), every
 * choice's generated tokens (end-of-generation tokens included, as they were computed), and of the
 * prompt tokens those whose keys and values came from the prefix cache (counted by each prompt's
 * first choice).
 */
public record Usage(int promptTokens, int completionTokens, int cachedTokens) {

    public Usage(int promptTokens, int completionTokens) {
        this(promptTokens, completionTokens, 0);
    }

    public int totalTokens() {
        return promptTokens + completionTokens;
    }
}
