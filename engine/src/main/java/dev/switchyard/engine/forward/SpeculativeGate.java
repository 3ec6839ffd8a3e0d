package dev.switchyard.engine.forward;

import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.FloatMatrix;

/**
 * Guesses a later layer's experts from the current hidden state, as mixtral-offloading's
 * speculative expert loading does: apply layer m's norm and router to the residual stream entering
 * layer l's MoE block (l < m). The residual changes little from one layer to the next, so the guess
 * is often right, and it is available layers before layer m routes. Uses the target layer's own
 * ffn norm so the router sees its input's usual scale. Scratch is its own: it runs beside a step
 * without touching the transformer's buffers.
 */
public final class SpeculativeGate {

    private final ModelWeights weights;
    private final Backend backend;
    private final FloatMatrix normed;   // (T, D)
    private final FloatMatrix logits;   // (T, experts)
    private final float[] row;
    private final float[] probabilities;
    private final int[] chosen;
    private final float[] chosenWeights;
    private final ExpertSelector selector;

    SpeculativeGate(ModelWeights weights, Backend backend, int maxTokens) {
        if (!weights.config().isMoe()) {
            throw new IllegalArgumentException("a speculative gate needs a mixture-of-experts model");
        }
        this.weights = weights;
        this.backend = backend;
        int experts = weights.config().expertCount();
        this.normed = backend.allocate(maxTokens, weights.config().dim());
        this.logits = backend.allocate(maxTokens, experts);
        this.row = new float[experts];
        this.probabilities = new float[experts];
        this.chosen = new int[experts];
        this.chosenWeights = new float[experts];
        this.selector = new ExpertSelector(weights.config().routing(), experts);
    }

    /**
     * Writes the {@code width} best experts of routed layer {@code target} (numbered as
     * {@link ModelConfig#routedLayers()} counts) for each of {@code tokens} rows to {@code out[t * width ..]}.
     */
    public void propose(FloatMatrix residual, int tokens, int target, int width, int[] out) {
        if (width < 1 || width > weights.config().expertCount()) {
            throw new IllegalArgumentException("proposal width must be in 1..experts: " + width);
        }
        LayerWeights w = weights.layer(weights.config().blockOfRoutedLayer(target));
        int experts = weights.config().expertCount();
        backend.rmsNorm(residual, w.ffnNorm(), (float) weights.config().rmsEps(), normed, tokens);
        backend.matmul(w.router(), 0, normed, logits, tokens);
        if (w.routerBias() != null) {
            backend.addBias(logits, w.routerBias(), tokens);
        }
        for (int t = 0; t < tokens; t++) {
            logits.readRow(t, row);
            selector.scores(row, probabilities);
            selector.select(probabilities, w.selectionBias(), width, false, chosen, chosenWeights, 0);
            System.arraycopy(chosen, 0, out, t * width, width);
        }
    }
}
