package dev.switchyard.server.accesslog;

import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.server.serving.Usage;

/**
 * What a generation's listener notes for the access log as its events pass: when the model first took
 * it into its running batch, when its first token came (nanoTime; 0 for never), how choice 0 ended
 * and how many choices ended. Written on the scheduler's thread, a field check per token and nothing
 * allocated; read once the listener hands its completion on to its own thread, which orders the reads
 * after the writes.
 */
public final class GenerationTimes {

    private long admitted;
    private long firstToken;
    private FinishReason firstFinish;
    private int choicesEnded;

    /** A choice entered the running batch. */
    public void admitted() {
        if (admitted == 0) {
            admitted = System.nanoTime();
        }
    }

    /** A token came. */
    public void token() {
        if (firstToken == 0) {
            firstToken = System.nanoTime();
        }
    }

    /** Choice {@code index} ended as {@code reason}. */
    public void finished(int index, FinishReason reason) {
        choicesEnded++;
        if (index == 0) {
            firstFinish = reason;
        }
    }

    /** The figures of the generation that ended with {@code usage}, of {@code model}. */
    public AccessRecord.Generated figures(String model, boolean stream, Usage usage) {
        return new AccessRecord.Generated(model, stream, usage.promptTokens(), usage.completionTokens(),
                usage.cachedTokens(), admitted, firstToken, firstFinish == null ? null : firstFinish.apiName(),
                choicesEnded);
    }
}
