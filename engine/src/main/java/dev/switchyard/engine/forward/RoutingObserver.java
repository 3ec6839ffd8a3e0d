package dev.switchyard.engine.forward;

import dev.switchyard.kernels.FloatMatrix;

/**
 * Sees each MoE layer's routing as a step runs: what routing traces are recorded from. Set with
 * {@link Transformer#setRoutingObserver}; when none is set the transformer pays one null check per
 * layer. Called on the stepping thread, between routing and the expert FFNs; an observer must
 * change none of the arguments.
 */
public interface RoutingObserver {

    /**
     * @param layer    the layer just routed
     * @param batch    the step's tokens (rows 0 .. batch.tokens())
     * @param experts  {@code experts[t * k + j]}: token t's j-th expert, best first; -1 where
     *                 capacity-aware dispatch dropped the assignment
     * @param k        experts per token
     * @param residual the residual stream entering this layer's MoE block, one row per token:
     *                 what a {@link SpeculativeGate} applies later layers' routers to
     */
    void onRouting(int layer, StepBatch batch, int[] experts, int k, FloatMatrix residual);

    /** This observer, then {@code next}, for every layer. */
    default RoutingObserver andThen(RoutingObserver next) {
        return (layer, batch, experts, k, residual) -> {
            onRouting(layer, batch, experts, k, residual);
            next.onRouting(layer, batch, experts, k, residual);
        };
    }
}
