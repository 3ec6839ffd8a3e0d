package dev.switchyard.server.serving;

import dev.switchyard.engine.generate.FinishReason;
import java.util.List;

/**
 * Receives one request's output, choice by choice. Every call comes from the scheduler's thread and
 * holds up the next step of every sequence, so implementations hand the event on (to a channel, an
 * executor) and return; they never block.
 *
 * <p>Per choice: any number of {@link #onToken}, then exactly one of {@link #onChoiceFinished} or
 * {@link #onChoiceFailed}; after the last choice ends, {@link #onComplete} once.
 *
 * <p>A choice's output is two texts: its reasoning, set apart when the request asked for it and the
 * model's chat format marks it, and its content (the answer; all of the output otherwise). Each
 * event carries what it released of both, either possibly empty; the pieces of each concatenate to
 * that whole text. Tool calls, when the request offers tools, come apart from both.
 */
public interface GenerationListener {

    /**
     * A generated token of choice {@code index}.
     *
     * @param reasoning reasoning released with it; empty when none (always, without reasoning apart)
     * @param text      content released with it: possibly empty (part of a character, text held back
     *                  because it may begin a stop string or a reasoning marker, a marker itself) and
     *                  possibly text of earlier tokens
     * @param logprob   null unless the request asked for logprobs
     */
    void onToken(int index, int token, String reasoning, String text, TokenLogprob logprob);

    /**
     * The prompt of choice {@code index}, token by token with the log-probability the model gives each
     * after the ones before it (the first {@link TokenLogprob#unscored}), for requests that ask for it
     * ({@link GenerationSpec#promptLogprobs()}): once, before the choice's first {@link #onToken} or
     * its {@link #onChoiceFinished}.
     */
    default void onPromptLogprobs(int index, List<TokenLogprob> prompt) {
    }

    /**
     * Tool calls choice {@code index} completed, in order, before the {@link #onToken} or
     * {@link #onChoiceFinished} of the token that completed them. Only requests with tools
     * ({@link GenerationSpec#tools()}) make any.
     */
    void onToolCalls(int index, List<ChoiceToolCall> calls);

    /**
     * The embedding of prompt {@code index} ({@link GenerationSpec#pooling()} requests only), not
     * normalized: once, just before its {@link #onChoiceFinished}.
     */
    default void onEmbedding(int index, float[] embedding) {
    }

    /**
     * Choice {@code index} entered the running batch for the first time (it waited in the queue until
     * now): once, before its first {@link #onToken}.
     */
    default void onAdmitted(int index) {
    }

    /** Choice {@code index} ends on the stop string {@code stop}: called just before its {@link #onChoiceFinished}. */
    default void onStopSequence(int index, String stop) {
    }

    /** Choice {@code index} ended; {@code reasoning} and {@code text} are the rest of its output (possibly empty). */
    void onChoiceFinished(int index, FinishReason reason, String reasoning, String text);

    /** Choice {@code index} could not go on (e.g. the model produced NaN logits). */
    void onChoiceFailed(int index, RuntimeException error);

    /** Every choice has ended. */
    void onComplete(Usage usage);
}
