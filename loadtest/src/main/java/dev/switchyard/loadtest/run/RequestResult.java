package dev.switchyard.loadtest.run;

/**
 * What was observed of one request: all times are {@link System#nanoTime()} readings taken by the
 * client as events arrived.
 *
 * @param chunkNanos arrival time of each streamed chunk that carried tokens, in order
 * @param endNanos when the request ended (the {@code [DONE]}, the error, or the cancel)
 * @param usagePromptTokens the server's usage report, or -1 when it sent none
 * @param inFlightAtSend requests in flight when this one was sent, itself included
 */
public record RequestResult(int index, Outcome outcome, String errorKind, String errorDetail,
                            long sentNanos, long[] chunkNanos, long endNanos,
                            int usagePromptTokens, int usageCompletionTokens,
                            int plannedInputTokens, int inFlightAtSend) {

    /** Time to first token: send to the first chunk carrying tokens. */
    public long ttftNanos() {
        return chunkNanos[0] - sentNanos;
    }

    /** End-to-end latency as vLLM measures it: send to the last chunk carrying tokens. */
    public long e2eNanos() {
        return chunkNanos[chunkNanos.length - 1] - sentNanos;
    }

    /**
     * Time per output token after the first, as vLLM defines it: {@code (E2E - TTFT) / (output_tokens - 1)};
     * -1 with fewer than two output tokens.
     */
    public long tpotNanos() {
        int out = outputTokens();
        return out > 1 ? (e2eNanos() - ttftNanos()) / (out - 1) : -1;
    }

    /** Output tokens: the usage report's when the server sent one, else one per token chunk. */
    public int outputTokens() {
        return usageCompletionTokens >= 0 ? usageCompletionTokens : chunkNanos.length;
    }

    /** Input tokens: the usage report's when the server sent one, else the calibrated count. */
    public int inputTokens() {
        return usagePromptTokens >= 0 ? usagePromptTokens : plannedInputTokens;
    }
}
