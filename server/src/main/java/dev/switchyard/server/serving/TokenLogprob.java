package dev.switchyard.server.serving;

import dev.switchyard.engine.sampling.TokenLogprobs;

/**
 * A copy of one token's log-probabilities, which the engine reuses from token to token: made only
 * for requests that ask for logprobs. Values are natural logs of the model's raw distribution and
 * may be -infinity. {@code rank} is 1 plus the number of tokens the model found more probable. A
 * prompt's first token has no log-probability (nothing comes before it to predict it): it is
 * {@link #unscored}.
 */
public record TokenLogprob(int token, double logprob, int rank, int[] topIds, double[] topLogprobs) {

    /** A token nothing predicted: a prompt's first. */
    public static TokenLogprob unscored(int token) {
        return new TokenLogprob(token, Double.NaN, 0, new int[0], new double[0]);
    }

    /** Whether the model predicted this token (false for a prompt's first). */
    public boolean scored() {
        return !Double.isNaN(logprob);
    }

    static TokenLogprob copyOf(TokenLogprobs lp) {
        int n = lp.topCount();
        int[] ids = new int[n];
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            ids[i] = lp.topId(i);
            values[i] = lp.topLogprob(i);
        }
        return new TokenLogprob(lp.token(), lp.logprob(), lp.rank(), ids, values);
    }
}
