package dev.switchyard.server.serving;

import dev.switchyard.engine.sampling.TokenLogprobs;

/**
 * A copy of one token's log-probabilities, which the engine reuses from token to token: made only
 * for requests that ask for logprobs. Values are natural logs of the model's raw distribution and
 * may be -infinity.
 */
public record TokenLogprob(int token, double logprob, int[] topIds, double[] topLogprobs) {

    static TokenLogprob copyOf(TokenLogprobs lp) {
        int n = lp.topCount();
        int[] ids = new int[n];
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            ids[i] = lp.topId(i);
            values[i] = lp.topLogprob(i);
        }
        return new TokenLogprob(lp.token(), lp.logprob(), ids, values);
    }
}
