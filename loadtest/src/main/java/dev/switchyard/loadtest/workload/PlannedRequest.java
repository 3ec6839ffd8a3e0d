package dev.switchyard.loadtest.workload;

/**
 * One request of a run, fixed before the run starts.
 *
 * @param inputTokens the prompt's token count as the calibrator knew it (counted by the server's
 *        tokenizer, or estimated); the server's usage report replaces it when it sends one
 * @param cancelAfterNanos delay after sending at which the client cancels it, or -1 for never
 */
public record PlannedRequest(int index, String prompt, int inputTokens, int maxTokens, long cancelAfterNanos) {

    public boolean cancels() {
        return cancelAfterNanos >= 0;
    }
}
