package dev.switchyard.server.serving;

import dev.switchyard.engine.generate.FinishReason;

/**
 * Receives one request's output, choice by choice. Every call comes from the scheduler's thread and
 * holds up the next step of every sequence, so implementations hand the event on (to a channel, an
 * executor) and return; they never block.
 *
 * <p>Per choice: any number of {@link #onToken}, then exactly one of {@link #onChoiceFinished} or
 * {@link #onChoiceFailed}; after the last choice ends, {@link #onComplete} once.
 */
public interface GenerationListener {

    /**
     * A generated token of choice {@code index}.
     *
     * @param text    the text released with it: possibly empty (part of a character, or text held back
     *                because it may begin a stop string) and possibly text of earlier tokens; the
     *                texts of a choice's events concatenate to its full output
     * @param logprob null unless the request asked for logprobs
     */
    void onToken(int index, int token, String text, TokenLogprob logprob);

    /** Choice {@code index} ended; {@code text} is the rest of its output (possibly empty). */
    void onChoiceFinished(int index, FinishReason reason, String text);

    /** Choice {@code index} could not go on (e.g. the model produced NaN logits). */
    void onChoiceFailed(int index, RuntimeException error);

    /** Every choice has ended. */
    void onComplete(Usage usage);
}
