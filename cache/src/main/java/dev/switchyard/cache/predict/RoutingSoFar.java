package dev.switchyard.cache.predict;

import dev.switchyard.cache.trace.TraceHeader;
import dev.switchyard.cache.trace.TraceStep;

/**
 * A trace step as a predictor may see it at layer {@code known}: routing and proposals of layers
 * {@code 0 .. known} only. Asking for a later layer throws, so no predictor can score well by
 * reading the answer, whatever bug it has.
 */
public final class RoutingSoFar {

    private final TraceHeader header;
    private TraceStep step;
    private int known = -1;

    public RoutingSoFar(TraceHeader header) {
        this.header = header;
    }

    /** Moves to {@code step} with layers {@code 0 .. known} revealed. */
    public RoutingSoFar reveal(TraceStep step, int known) {
        this.step = step;
        this.known = known;
        return this;
    }

    public TraceHeader header() {
        return header;
    }

    public int known() {
        return known;
    }

    public int tokens() {
        return step.tokens();
    }

    public int request(int token) {
        return step.request(token);
    }

    /** Layer {@code layer}'s assignments ({@code tokens x topK}, best first, -1 = dropped). */
    public int[] experts(int layer) {
        check(layer);
        return step.experts(layer);
    }

    /** Gate proposals made at {@code layer} for {@code layer + depth}, or null where none were recorded. */
    public int[] proposals(int layer, int depth) {
        check(layer);
        return depth <= header.depthsAt(layer) ? step.proposals(layer, depth) : null;
    }

    private void check(int layer) {
        if (layer > known) {
            throw new IllegalStateException("layer " + layer + " is not routed yet (known up to " + known + ")");
        }
    }
}
