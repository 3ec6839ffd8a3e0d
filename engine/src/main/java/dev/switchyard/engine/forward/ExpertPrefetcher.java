package dev.switchyard.engine.forward;

import dev.switchyard.cache.predict.Predictors;
import dev.switchyard.cache.predict.Proposals;
import dev.switchyard.cache.predict.RoutingPredictor;
import dev.switchyard.cache.predict.RoutingSoFar;
import dev.switchyard.cache.residency.ExpertResidency;
import dev.switchyard.cache.trace.TraceHeader;
import dev.switchyard.cache.trace.TraceStep;
import dev.switchyard.kernels.FloatMatrix;

/**
 * Issues prefetches for the next layers as each layer routes, with the predictors the simulator
 * evaluates ({@code gate}, {@code affinity}, {@code combined}) fed live: the step's routing so far
 * is kept as a trace step, and the speculative gate's proposals are computed from the hidden state
 * when the predictor reads them. Prefetches go out best first and never wait; what they fetch only
 * changes what is resident, never which experts a token uses. One per transformer (predictors learn
 * and are not thread-safe). The step's routing arrays are reused while the step size stays the same
 * (decode), so a steady decode allocates nothing here beyond the copies' own tasks.
 */
final class ExpertPrefetcher {

    private final ExpertResidency residency;
    private final RoutingPredictor predictor;
    private final SpeculativeGate gate; // null when the predictor does not read proposals
    private final TraceHeader header;
    private final RoutingSoFar so;
    private final Proposals proposals;
    private final int depth;
    private TraceStep step;
    private int[] requests = new int[0];
    private int[][] experts;
    private int[][][] gateProposals;

    ExpertPrefetcher(ExpertResidency residency, ExpertOffload settings, SpeculativeGate gate, int layers, int expertCount,
                     int topK, int maxTokens) {
        this.residency = residency;
        this.predictor = Predictors.create(settings.predictor()).orElseThrow();
        this.depth = Math.min(settings.prefetchDepth(), layers - 1);
        boolean readsGate = settings.predictor().equals("gate") || settings.predictor().equals("combined");
        this.gate = readsGate && depth > 0 ? gate : null;
        this.header = new TraceHeader(layers, expertCount, topK, this.gate != null ? depth : 0,
                this.gate != null ? topK : 0, 0, "live");
        this.so = new RoutingSoFar(header);
        this.proposals = new Proposals(expertCount, topK, maxTokens);
    }

    /** Layer {@code layer} has routed {@code chosen} ({@code tokens x k}); prefetch for the layers after it. */
    void afterRouting(int layer, StepBatch batch, int[] chosen, FloatMatrix residual, int tokens) {
        if (depth == 0) {
            return;
        }
        int k = header.topK();
        if (layer == 0) {
            startStep(batch, tokens);
        }
        System.arraycopy(chosen, 0, experts[layer], 0, tokens * k);
        if (gate != null) {
            for (int j = 1; j <= header.depthsAt(layer); j++) {
                gate.propose(residual, tokens, layer + j, k, gateProposals[layer][j - 1]);
            }
        }
        so.reveal(step, layer);
        predictor.observe(so);
        for (int j = 1; j <= depth && layer + j < header.layers(); j++) {
            proposals.compute(predictor, so, j);
            for (int i = 0; i < proposals.size(); i++) {
                residency.prefetch(layer + j, proposals.expert(i));
            }
        }
    }

    private void startStep(StepBatch batch, int tokens) {
        if (requests.length != tokens) {
            int layers = header.layers();
            int k = header.topK();
            requests = new int[tokens];
            experts = new int[layers][tokens * k];
            gateProposals = new int[layers][][];
            for (int l = 0; l < layers; l++) {
                gateProposals[l] = new int[header.depthsAt(l)][tokens * header.gateWidth()];
            }
            step = new TraceStep(false, requests, experts, gateProposals);
        }
        // sequences stand for requests: recency is per sequence slot, which a new request reuses
        System.arraycopy(batch.sequenceOf, 0, requests, 0, tokens);
    }
}
