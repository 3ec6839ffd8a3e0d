package dev.switchyard.cache.synth;

/**
 * What a synthetic trace looks like.
 *
 * @param layers        MoE layers
 * @param experts       routed experts per layer
 * @param topK          experts per token per layer
 * @param requests      requests in all; each is a fresh routing history
 * @param tokens        decode tokens per request
 * @param batch         requests decoded together, one token each per step
 * @param locality      temporal locality as a multiple of Mixtral's excess over random routing:
 *                      1 = the measured profile ({@link MixtralLocality}), 0 = no more than chance
 * @param affinity      how strongly an expert at layer l steers the choice at l+1: each expert has
 *                      two preferred successors weighted {@code 1 + affinity} against 1 for the rest
 * @param skew          spread of experts' popularity within a layer (log-normal sigma): real routers
 *                      are not balanced
 * @param gateDepth     layers ahead for which speculative-gate proposals are synthesized
 * @param gateAccuracy  chance that a proposal for the next layer names a true expert; for j layers
 *                      ahead, {@code gateAccuracy^j}
 * @param expertBytes   bytes per expert written into the header (0 = unknown)
 * @param seed          the same settings and seed give the same trace
 */
public record SynthSettings(int layers, int experts, int topK, int requests, int tokens, int batch,
                            double locality, double affinity, double skew, int gateDepth, double gateAccuracy,
                            long expertBytes, long seed) {

    public SynthSettings {
        if (layers < 1 || experts < 2 || topK < 1 || topK > experts) {
            throw new IllegalArgumentException("need layers >= 1, experts >= 2 and 1 <= top-k <= experts");
        }
        if (requests < 1 || tokens < 1 || batch < 1) {
            throw new IllegalArgumentException("requests, tokens and batch must be at least 1");
        }
        if (locality < 0 || affinity < 0 || skew < 0) {
            throw new IllegalArgumentException("locality, affinity and skew must not be negative");
        }
        if (gateDepth < 0 || gateDepth >= layers) {
            throw new IllegalArgumentException("gate depth must be in 0..layers-1: " + gateDepth);
        }
        if (gateAccuracy < 0 || gateAccuracy > 1) {
            throw new IllegalArgumentException("gate accuracy must be in 0..1: " + gateAccuracy);
        }
    }

    /** Mixtral-8x7B's routing shape with the measured locality, prefetch proposals two layers ahead. */
    public static SynthSettings mixtral(int requests, int tokens, long seed) {
        return new SynthSettings(32, 8, 2, requests, tokens, 1, 1.0, 4.0, 0.3, 2, 0.8, 0, seed);
    }

    public String describe() {
        return String.format(java.util.Locale.ROOT,
                "synthetic: layers=%d experts=%d top-k=%d requests=%d tokens=%d batch=%d locality=%.2f affinity=%.2f "
                        + "skew=%.2f gate-depth=%d gate-accuracy=%.2f seed=%d",
                layers, experts, topK, requests, tokens, batch, locality, affinity, skew, gateDepth, gateAccuracy, seed);
    }
}
