package dev.switchyard.engine.generate;

import dev.switchyard.engine.sampling.TokenLogprobs;

/** Receives each generated token as soon as it is sampled (and a scored prompt's tokens before them). */
@FunctionalInterface
public interface TokenListener {

    /**
     * @param request  index of the request in the list given to the generator
     * @param token    the sampled id
     * @param logprobs its log-probability and the top alternatives (valid only during this call)
     */
    void onToken(int request, int token, TokenLogprobs logprobs);

    /**
     * A prompt token's log-probability, for requests that ask for them
     * ({@link GenerationRequest#promptLogprobs()}): positions 1 to the prompt's last, in order.
     *
     * @param logprobs valid only during this call
     */
    default void onPromptToken(int request, int position, TokenLogprobs logprobs) {
    }

    /**
     * The raw logits that predicted the prompt token at {@code position}, with the token's
     * log-probabilities, before its {@link #onPromptToken} (valid only during this call, not to be
     * changed).
     */
    default void onPromptRow(int request, int position, float[] logits, TokenLogprobs logprobs) {
    }

    TokenListener NONE = (request, token, logprobs) -> { };
}
