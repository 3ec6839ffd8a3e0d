package dev.switchyard.engine.generate;

/** Why a sequence stopped, with the names the OpenAI API uses. */
public enum FinishReason {
    /** An end-of-generation token or a stop token id. */
    STOP("stop"),
    /** max_tokens, or the model's context, was reached. */
    LENGTH("length"),
    /** Cancelled before it finished: the client left, its timeout passed, or the server shut down. */
    ABORT("abort");

    private final String apiName;

    FinishReason(String apiName) {
        this.apiName = apiName;
    }

    public String apiName() {
        return apiName;
    }
}
