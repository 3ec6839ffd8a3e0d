package dev.switchyard.server.serving;

import dev.switchyard.engine.schedule.Submission;

/**
 * A running request: cancel it when its client goes away. It reports {@link GenerationListener#onComplete}
 * once its last choice has ended.
 */
public final class Generation {

    private final GenerationListener listener;
    private final int promptTokens;
    /** Touched on the scheduler's thread only (every sink call comes from there). */
    private int remaining;
    private int completionTokens;
    private int cachedTokens;
    /** Whether the request carried a predicted output, and what became of the tokens proposed from it. */
    private final boolean predicted;
    private int predictionAccepted;
    private int predictionRejected;
    private volatile Submission submission;
    private volatile boolean done;
    private volatile boolean cancelled;

    Generation(GenerationListener listener, int choices, int promptTokens) {
        this(listener, choices, promptTokens, false);
    }

    Generation(GenerationListener listener, int choices, int promptTokens, boolean predicted) {
        this.listener = listener;
        this.remaining = choices;
        this.promptTokens = promptTokens;
        this.predicted = predicted;
    }

    void attach(Submission accepted) {
        submission = accepted;
        if (cancelled) {
            accepted.cancel();
        }
    }

    /** Ends every choice that has not finished, with reason abort, and frees its KV blocks. Any thread; idempotent. */
    public void cancel() {
        cancelled = true;
        Submission s = submission;
        if (s != null) {
            s.cancel();
        }
    }

    /** Whether every choice has ended. */
    public boolean isDone() {
        return done;
    }

    /** Whether the request ran past the server's request timeout (its choices then end with abort). */
    public boolean timedOut() {
        Submission s = submission;
        return s != null && s.timedOut();
    }

    /** A prompt's first choice took {@code tokens} of its prompt from the prefix cache. */
    void promptCached(int tokens) {
        cachedTokens += tokens;
    }

    /** A choice's tokens proposed from the prediction: {@code accepted} kept, {@code rejected} not. */
    void predicted(int accepted, int rejected) {
        predictionAccepted += accepted;
        predictionRejected += rejected;
    }

    void choiceDone(int tokens) {
        completionTokens += tokens;
        if (--remaining == 0) {
            done = true;
            listener.onComplete(new Usage(promptTokens, completionTokens, cachedTokens,
                    predicted ? new Usage.Prediction(predictionAccepted, predictionRejected) : null));
        }
    }
}
