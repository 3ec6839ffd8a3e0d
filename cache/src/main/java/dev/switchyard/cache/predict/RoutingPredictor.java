package dev.switchyard.cache.predict;

/**
 * Guesses which experts the tokens of a step will use a few layers ahead, so that their copies can
 * start while the current layer computes. A predictor scores, it does not choose: callers take
 * each token's best-scoring experts ({@link Proposals}), so predictors combine by adding scores.
 *
 * <p>Calls come in routing order: for each step, for each layer l, {@link #observe} once layer l is
 * routed, then {@link #score} for targets l+1 .. l+d.
 */
public interface RoutingPredictor {

    /** Learns from layer {@code so.known()} of the current step, now routed. */
    void observe(RoutingSoFar so);

    /**
     * Scores every expert of layer {@code so.known() + depth} for every token:
     * {@code scores[token * experts + expert]}, zero meaning "no reason to expect it". The array
     * arrives zeroed.
     */
    void score(RoutingSoFar so, int depth, float[] scores);
}
