package dev.switchyard.cache.sim;

import dev.switchyard.cache.predict.Proposals;
import dev.switchyard.cache.predict.RoutingPredictor;
import dev.switchyard.cache.predict.RoutingSoFar;
import dev.switchyard.cache.timing.DeviceProfile;
import dev.switchyard.cache.timing.ModelShape;
import dev.switchyard.cache.timing.Timeline;
import dev.switchyard.cache.trace.TraceHeader;
import dev.switchyard.cache.trace.TraceStep;
import java.util.function.Supplier;

/**
 * Replays an access stream through one policy, as Caffeine's simulator does (trace -> policy ->
 * stats), adding what an expert cache needs: a predictor whose proposals become prefetch hints
 * after each layer is routed, and a {@link Timeline} that turns hits, misses and prefetches into
 * stall time. Prefill steps run through the cache (they warm it) but are not counted: the figures
 * are decode figures.
 */
public final class Simulator {

    private final AccessStream stream;
    private final DeviceProfile device;
    private final ModelShape shape;
    private final int prefetchDepth;
    private final int predictWidth;

    /**
     * @param prefetchDepth layers ahead whose proposals are prefetched after each layer
     * @param predictWidth  experts proposed per token per target layer
     */
    public Simulator(AccessStream stream, DeviceProfile device, ModelShape shape, int prefetchDepth, int predictWidth) {
        this.stream = stream;
        this.device = device;
        this.shape = shape;
        this.prefetchDepth = prefetchDepth;
        this.predictWidth = predictWidth;
    }

    /**
     * @param predictors fresh predictors for a prefetching policy (ignored by demand policies); may
     *                   supply null for none
     */
    public SimResult run(String policyName, double cacheFraction, Supplier<RoutingPredictor> predictors) {
        TraceHeader h = stream.header();
        int capacity = capacity(cacheFraction, h.totalExperts());
        Policies.Entry entry = Policies.get(policyName);
        Policy policy = entry.factory().create(new Policies.Setup(capacity, stream));
        RoutingPredictor predictor = entry.prefetching() ? predictors.get() : null;
        Timeline time = new Timeline(device, shape, stream.keySpace());
        RoutingSoFar so = new RoutingSoFar(h);
        int maxTokens = stream.steps().stream().mapToInt(TraceStep::tokens).max().orElse(1);
        Proposals proposals = new Proposals(h.experts(), predictWidth, maxTokens);
        double stall = 0;
        double busy = 0;
        long tokens = 0;
        long bytesBefore;
        long bytesCounted = 0;
        for (int s = 0; s < stream.steps().size(); s++) {
            TraceStep step = stream.steps().get(s);
            boolean counted = !step.prefill();
            policy.stats().recording(counted);
            double stepStart = time.now();
            bytesBefore = time.bytesMoved();
            double stepStall = 0;
            for (int l = 0; l < h.layers(); l++) {
                policy.beginLayer(l);
                double ready = time.now();
                int from = stream.layerStart(s, l);
                int to = stream.layerEnd(s, l);
                for (int i = from; i < to; i++) {
                    int key = stream.key(i);
                    ready = Math.max(ready, policy.access(key) ? time.arrival(key) : time.copy(key));
                }
                stepStall += time.waitUntil(ready);
                if (predictor != null) {
                    // the layer is routed: learn from it, then start copies for the layers ahead
                    so.reveal(step, l);
                    predictor.observe(so);
                    for (int j = 1; j <= prefetchDepth && l + j < h.layers(); j++) {
                        proposals.compute(predictor, so, j);
                        for (int p = 0; p < proposals.size(); p++) {
                            int key = (l + j) * h.experts() + proposals.expert(p);
                            if (policy.prefetch(key)) {
                                time.copy(key);
                            }
                        }
                    }
                }
                time.computeLayer(to - from);
            }
            time.computeHead();
            if (counted) {
                tokens += step.tokens();
                stall += stepStall;
                busy += time.now() - stepStart;
                bytesCounted += time.bytesMoved() - bytesBefore;
            }
        }
        policy.finish();
        double perToken = tokens == 0 ? Double.NaN : 1.0 / tokens;
        return new SimResult(policyName, cacheFraction, capacity, policy.stats(), bytesCounted * perToken,
                stall * perToken, tokens == 0 ? Double.NaN : tokens / busy);
    }

    /** Experts a cache of {@code fraction} of all experts holds: rounded, at least one. */
    public static int capacity(double fraction, int totalExperts) {
        return (int) Math.max(1, Math.min(totalExperts, Math.round(fraction * totalExperts)));
    }
}
