package dev.switchyard.server.serving;

/**
 * Token counts of one request: each distinct prompt once (however many choices it has), every
 * choice's generated tokens (end-of-generation tokens included, as they were computed), and of the
 * prompt tokens those whose keys and values came from the prefix cache (counted by each prompt's
 * first choice); for a request with a predicted output, what became of the tokens proposed from it.
 */
public record Usage(int promptTokens, int completionTokens, int cachedTokens, Prediction prediction) {

    /**
     * Of the tokens proposed from a request's predicted output (every choice's), those the replies
     * kept ({@code accepted}) and those they did not ({@code rejected}: computed in vain), as
     * OpenAI's {@code accepted_prediction_tokens} and {@code rejected_prediction_tokens}.
     */
    public record Prediction(int accepted, int rejected) {
    }

    /** Without a prediction. */
    public Usage(int promptTokens, int completionTokens, int cachedTokens) {
        this(promptTokens, completionTokens, cachedTokens, null);
    }

    public Usage(int promptTokens, int completionTokens) {
        this(promptTokens, completionTokens, 0);
    }

    public int totalTokens() {
        return promptTokens + completionTokens;
    }
}
