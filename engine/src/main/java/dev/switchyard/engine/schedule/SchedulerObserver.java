package dev.switchyard.engine.schedule;

import dev.switchyard.engine.generate.FinishReason;

/**
 * What the scheduler reports for metrics, called from its thread. Times are in nanoseconds; every
 * figure is per sequence (a request with {@code n} choices counts {@code n} times).
 */
public interface SchedulerObserver {

    /** A sequence entered the batch for the first time, {@code queueNanos} after it was submitted. */
    default void admitted(long queueNanos, int promptTokens) {
    }

    /** The first token of a sequence, {@code ttftNanos} after it was submitted. */
    default void firstToken(long ttftNanos) {
    }

    /** A later token, {@code gapNanos} after the sequence's previous one. */
    default void nextToken(long gapNanos) {
    }

    /** A sequence joining a batch took its first {@code tokens} positions from the prefix cache. */
    default void prefixReused(int tokens) {
    }

    /** A running sequence gave up its KV blocks to an older one and will be recomputed. */
    default void preempted() {
    }

    /** A step proposed {@code drafted} tokens by speculation, of which the sampler kept {@code accepted}. */
    default void speculated(int drafted, int accepted) {
    }

    /** A sequence ended, {@code e2eNanos} after it was submitted; {@code reason} is null on failure. */
    default void finished(FinishReason reason, long e2eNanos) {
    }

    SchedulerObserver NONE = new SchedulerObserver() {
    };
}
