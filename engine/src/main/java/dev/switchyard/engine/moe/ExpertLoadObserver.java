package dev.switchyard.engine.moe;

/**
 * Receives how one MoE layer of one step spread its tokens over the experts, for metrics. Called on
 * the thread that runs the step, once per MoE layer; the arrays are the caller's and valid only
 * during the call.
 */
@FunctionalInterface
public interface ExpertLoadObserver {

    /**
     * @param layer           the layer index
     * @param tokens          rows in the step
     * @param k               experts per token
     * @param tokensPerExpert rows that ran each expert after dispatch ({@code experts} entries)
     * @param dropped         assignments dropped by capacity-aware dispatch in this layer
     * @param rerouted        assignments moved to another expert in this layer
     */
    void layerDispatched(int layer, int tokens, int k, int[] tokensPerExpert, int dropped, int rerouted);
}
