package dev.switchyard.engine.generate;

import dev.switchyard.engine.sampling.TokenLogprobs;

/** Receives each generated token as soon as it is sampled. */
@FunctionalInterface
public interface TokenListener {

    /**
     * @param request  index of the request in the list given to the generator
     * @param token    the sampled id
     * @param logprobs its log-probability and the top alternatives (valid only during this call)
     */
    void onToken(int request, int token, TokenLogprobs logprobs);

    TokenListener NONE = (request, token, logprobs) -> { };
}
