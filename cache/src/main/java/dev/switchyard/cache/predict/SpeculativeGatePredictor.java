package dev.switchyard.cache.predict;

/**
 * The speculative gate of mixtral-offloading (Eliseev and Mazur, 2023): layer l+j's router applied
 * to the hidden state entering layer l's MoE block. The residual stream changes little from one
 * layer to the next, so that router already points at most of the experts the token will use. The
 * proposals need the hidden state, so they are computed while recording and replayed from the trace.
 * Scores follow the router's rank: the best proposal scores highest.
 */
public final class SpeculativeGatePredictor implements RoutingPredictor {

    @Override
    public void observe(RoutingSoFar so) {
        // nothing to learn: the proposals were computed from the model itself
    }

    @Override
    public void score(RoutingSoFar so, int depth, float[] scores) {
        int[] proposals = so.proposals(so.known(), depth);
        if (proposals == null) {
            return; // not recorded this far ahead
        }
        int width = so.header().gateWidth();
        int experts = so.header().experts();
        for (int t = 0; t < so.tokens(); t++) {
            for (int r = 0; r < width; r++) {
                scores[t * experts + proposals[t * width + r]] += (float) (width - r) / width;
            }
        }
    }
}
