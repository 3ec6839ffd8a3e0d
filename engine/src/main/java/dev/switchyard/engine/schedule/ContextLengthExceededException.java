package dev.switchyard.engine.schedule;

/** A request whose prompt plus completion cannot fit one sequence's positions. */
public final class ContextLengthExceededException extends IllegalArgumentException {

    private final int limit;

    public ContextLengthExceededException(int limit, int promptTokens, int maxTokens, String what) {
        super("this server can hold at most " + limit + " tokens per sequence (" + what
                + "), but " + ((long) promptTokens + maxTokens) + " were requested: " + promptTokens
                + " in the prompt and " + maxTokens + " for the completion; shorten the prompt or lower max_tokens");
        this.limit = limit;
    }

    /** Positions one sequence may use. */
    public int limit() {
        return limit;
    }
}
