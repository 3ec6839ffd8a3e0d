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
    private volatile Submission submission;
    private volatile boolean done;
    private volatile boolean cancelled;

    Generation(GenerationListener listener, int choices, int promptTokens) {
        this.listener = listener;
        this.remaining = choices;
        this.promptTokens = promptTokens;
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

    void choiceDone(int tokens) {
        completionTokens += tokens;
        if (--remaining == 0) {
            done = true;
            listener.onComplete(new Usage(promptTokens, completionTokens, cachedTokens));
        }
    }
}
