package dev.switchyard.cache.trace;

/**
 * What every step of a routing trace shares: the model's routing shape, how far ahead the recorded
 * speculative-gate proposals reach, and where the trace came from.
 *
 * @param layers      MoE layers
 * @param experts     routed experts per layer
 * @param topK        experts each token uses per layer
 * @param gateDepth   layers ahead for which the router proposals were recorded (0: none)
 * @param gateWidth   experts proposed per token per target layer (0 when {@code gateDepth} is 0)
 * @param expertBytes bytes of one expert (gate + up + down) in the recorded model; 0 if unknown
 * @param source      free text: the model file and prompt, or the synthetic generator's settings
 */
public record TraceHeader(int layers, int experts, int topK, int gateDepth, int gateWidth, long expertBytes,
                          String source) {

    /** Expert ids are stored as u16 with 0xFFFF meaning "dropped", so ids stop one below. */
    public static final int MAX_EXPERTS = 0xFFFF;
    public static final int MAX_LAYERS = 0xFFFF;
    public static final int MAX_TOP_K = 255;

    public TraceHeader {
        if (layers < 1 || layers > MAX_LAYERS) {
            throw new IllegalArgumentException("layers must be in 1.." + MAX_LAYERS + ": " + layers);
        }
        if (experts < 1 || experts > MAX_EXPERTS) {
            throw new IllegalArgumentException("experts must be in 1.." + MAX_EXPERTS + ": " + experts);
        }
        if (topK < 1 || topK > Math.min(experts, MAX_TOP_K)) {
            throw new IllegalArgumentException("top-k must be in 1..min(experts, " + MAX_TOP_K + "): " + topK);
        }
        if (gateDepth < 0 || gateDepth > Math.min(layers - 1, MAX_TOP_K)) {
            throw new IllegalArgumentException("gate depth must be in 0..layers-1: " + gateDepth);
        }
        if (gateDepth == 0 ? gateWidth != 0 : gateWidth < 1 || gateWidth > Math.min(experts, MAX_TOP_K)) {
            throw new IllegalArgumentException("gate width must be 0 without proposals, else 1..experts: " + gateWidth);
        }
        if (expertBytes < 0) {
            throw new IllegalArgumentException("expert bytes must not be negative: " + expertBytes);
        }
        source = source == null ? "" : source;
    }

    /** Proposal depths recorded at {@code layer}: only targets inside the model count. */
    public int depthsAt(int layer) {
        return Math.min(gateDepth, layers - 1 - layer);
    }

    /** Dense expert indices span {@code 0 .. totalExperts()}. */
    public int totalExperts() {
        return layers * experts;
    }

    /** Same routing shape (what lets two traces be replayed back to back). */
    public boolean sameShape(TraceHeader other) {
        return layers == other.layers && experts == other.experts && topK == other.topK;
    }
}
