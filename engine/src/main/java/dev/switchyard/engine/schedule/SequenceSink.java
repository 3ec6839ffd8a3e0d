package dev.switchyard.engine.schedule;

import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.engine.sampling.TokenLogprobs;

/**
 * Where one sequence's tokens go. Every call comes from the scheduler's thread, in order, and each
 * sequence ends with exactly one of {@link #onFinish} or {@link #onFailure}. Calls should be quick:
 * the next step of every sequence waits for them.
 */
public interface SequenceSink {

    /**
     * A sampled token.
     *
     * @param logprobs its log-probability and the top alternatives (valid only during this call)
     * @return true to go on; false to finish now with reason {@link FinishReason#STOP} (a stop string
     *         matched), so no further token is computed
     */
    boolean onToken(int token, TokenLogprobs logprobs);

    /**
     * As {@link #onToken(int, TokenLogprobs)}, told whether the token is one of the request's stop
     * token ids (and not an end-of-generation token), on which the sequence ends: vLLM leaves such a
     * token's text out of the output unless asked to keep it. By default the two-argument call.
     */
    default boolean onToken(int token, TokenLogprobs logprobs, boolean requestStop) {
        return onToken(token, logprobs);
    }

    /**
     * An embedding request's prompt was read: its pooled final hidden states ({@code dim} values, not
     * normalized), once, just before {@link #onFinish}. By default ignored.
     */
    default void onEmbedding(float[] embedding) {
    }

    /**
     * For a request with a predicted output, just before {@link #onFinish}: how many tokens proposed
     * from the prediction the sampler kept ({@code accepted}) and how many it did not
     * ({@code rejected}: computed in vain). By default ignored.
     */
    default void onPrediction(int accepted, int rejected) {
    }

    /** The sequence ended normally or was aborted; its KV blocks are already free. */
    void onFinish(FinishReason reason);

    /** The sequence could not go on (e.g. the model produced NaN logits); its KV blocks are already free. */
    void onFailure(RuntimeException error);

    /**
     * A prompt token's log-probability, for sequences that ask for them
     * ({@link dev.switchyard.engine.generate.GenerationRequest#promptLogprobs()}): every position from 1
     * to the prompt's last, once each and in order, all before the first {@link #onToken}.
     *
     * @param logprobs the token at {@code position} as the model predicted it from the positions
     *                 before, and the most probable alternatives (valid only during this call)
     */
    default void onPromptToken(int position, TokenLogprobs logprobs) {
    }

    /**
     * The raw logits that predicted the prompt token at {@code position}, just before its
     * {@link #onPromptToken}: the whole distribution, for callers that compare models, with the
     * token's log-probabilities and the row's {@linkplain TokenLogprobs#logNormalizer normalizer}
     * (both valid only during this call; the array is the batcher's, not to be changed).
     */
    default void onPromptRow(int position, float[] logits, TokenLogprobs logprobs) {
    }

    /**
     * When the sequence first joins a batch: how many of its prompt's first tokens it took from the
     * prefix cache (keys and values another sequence had written), not computed.
     */
    default void onPrefixReused(int tokens) {
    }
}
