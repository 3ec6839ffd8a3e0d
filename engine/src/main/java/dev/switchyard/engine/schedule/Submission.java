package dev.switchyard.engine.schedule;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A request handed to the {@link Scheduler}: one or more sequences (the {@code n} choices of an API
 * request) that wait, run and are cancelled together.
 */
public final class Submission {

    private final Scheduler scheduler;
    private final long deadlineNanos;
    private final AtomicInteger unfinished;
    private final AtomicBoolean admitted = new AtomicBoolean();
    private volatile boolean cancelled;
    private volatile boolean timedOut;
    /** Set once before the submission is handed to the scheduler's thread. */
    private List<ActiveSequence> sequences = List.of();

    Submission(Scheduler scheduler, int sequences, long deadlineNanos) {
        this.scheduler = scheduler;
        this.unfinished = new AtomicInteger(sequences);
        this.deadlineNanos = deadlineNanos;
    }

    /**
     * Ends every sequence of the request that has not finished with reason abort, freeing its KV
     * blocks at the scheduler's next step. Any thread; idempotent.
     */
    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    /** Whether the request was cancelled because its timeout passed. */
    public boolean timedOut() {
        return timedOut;
    }

    /** Whether every sequence has finished (or failed). */
    public boolean isDone() {
        return unfinished.get() == 0;
    }

    void attach(List<ActiveSequence> prepared) {
        sequences = List.copyOf(prepared);
    }

    List<ActiveSequence> sequences() {
        return sequences;
    }

    long deadlineNanos() {
        return deadlineNanos;
    }

    void expire() {
        timedOut = true;
        cancel();
    }

    /** The first of its sequences entered a batch: the request no longer counts as queued. */
    void onAdmitted() {
        if (admitted.compareAndSet(false, true)) {
            scheduler.leftQueue();
        }
    }

    void onSequenceDone() {
        if (unfinished.decrementAndGet() == 0) {
            if (admitted.compareAndSet(false, true)) {
                scheduler.leftQueue();
            }
            scheduler.requestDone(this);
        }
    }
}
