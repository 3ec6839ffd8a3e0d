package dev.switchyard.cache.sim;

import dev.switchyard.cache.trace.RoutingTrace;
import dev.switchyard.cache.trace.TraceHeader;
import dev.switchyard.cache.trace.TraceStep;
import java.util.List;

/**
 * The demand accesses one or more traces make, in replay order: for each step, for each layer, each
 * expert some token of the step uses there, once (one copy serves all its tokens), in expert order.
 * Keys are dense {@code layer * experts + expert}. Traces are replayed back to back, as one workload.
 *
 * <p>The clairvoyant policy reads the whole array ahead; the simulator walks it layer by layer
 * through {@link #layerStart}.
 */
public final class AccessStream {

    private final TraceHeader header;
    private final List<TraceStep> steps;
    private final int[] keys;
    private final int[] layerStart; // [step * layers + layer], plus one final entry = keys.length

    private AccessStream(TraceHeader header, List<TraceStep> steps, int[] keys, int[] layerStart) {
        this.header = header;
        this.steps = steps;
        this.keys = keys;
        this.layerStart = layerStart;
    }

    public static AccessStream of(List<RoutingTrace> traces) {
        TraceHeader h = traces.getFirst().header();
        for (RoutingTrace t : traces) {
            if (!t.header().sameShape(h)) {
                throw new IllegalArgumentException("traces of different routing shapes cannot be replayed together: "
                        + describe(h) + " vs " + describe(t.header()));
            }
        }
        List<TraceStep> steps = traces.stream().flatMap(t -> t.steps().stream()).toList();
        int layers = h.layers();
        int experts = h.experts();
        int[] layerStart = new int[steps.size() * layers + 1];
        boolean[] seen = new boolean[experts];
        int[] scratch = new int[experts];
        long total = 0;
        for (TraceStep s : steps) {
            for (int l = 0; l < layers; l++) {
                total += distinct(s.experts(l), seen, scratch);
            }
        }
        int[] keys = new int[Math.toIntExact(total)];
        int n = 0;
        int i = 0;
        for (TraceStep s : steps) {
            for (int l = 0; l < layers; l++) {
                layerStart[i++] = n;
                int count = distinct(s.experts(l), seen, scratch);
                for (int j = 0; j < count; j++) {
                    keys[n++] = l * experts + scratch[j];
                }
            }
        }
        layerStart[i] = n;
        return new AccessStream(h, steps, keys, layerStart);
    }

    /** Writes the distinct experts of {@code assignments}, ascending, to {@code out}; returns how many. */
    private static int distinct(int[] assignments, boolean[] seen, int[] out) {
        java.util.Arrays.fill(seen, false);
        for (int e : assignments) {
            if (e >= 0) {
                seen[e] = true;
            }
        }
        int n = 0;
        for (int e = 0; e < seen.length; e++) {
            if (seen[e]) {
                out[n++] = e;
            }
        }
        return n;
    }

    private static String describe(TraceHeader h) {
        return h.layers() + " layers x " + h.experts() + " experts, top-" + h.topK();
    }

    public TraceHeader header() {
        return header;
    }

    public List<TraceStep> steps() {
        return steps;
    }

    public int size() {
        return keys.length;
    }

    public int key(int i) {
        return keys[i];
    }

    /** First access of {@code layer} in step {@code step}; the layer ends where the next begins. */
    public int layerStart(int step, int layer) {
        return layerStart[step * header.layers() + layer];
    }

    public int layerEnd(int step, int layer) {
        return layerStart[step * header.layers() + layer + 1];
    }

    /** Dense keys range over {@code 0 .. keySpace()}. */
    public int keySpace() {
        return header.totalExperts();
    }
}
