package dev.switchyard.server.trace;

import dev.switchyard.cache.trace.TraceHeader;
import dev.switchyard.cache.trace.TraceStep;
import dev.switchyard.cache.trace.TraceWriter;
import dev.switchyard.engine.forward.RoutingObserver;
import dev.switchyard.engine.forward.SpeculativeGate;
import dev.switchyard.engine.forward.StepBatch;
import dev.switchyard.kernels.FloatMatrix;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * Turns a running model's routing into trace steps: collects each layer's assignments as the
 * transformer reports them, asks the speculative gate for layers l+1 .. l+depth while layer l's
 * hidden state is at hand (it is gone once the step moves on), and writes the step after its last
 * layer. One sequence at a time: every token of a step belongs to the current {@link #request}.
 */
public final class RoutingTraceRecorder implements RoutingObserver {

    private final TraceWriter writer;
    private final SpeculativeGate gate;
    private final TraceHeader header;
    private final int[][] experts;
    private final int[][][] proposals;
    private int request;
    private long tokens;

    public RoutingTraceRecorder(TraceWriter writer, SpeculativeGate gate) {
        this.writer = writer;
        this.gate = gate;
        this.header = writer.header();
        this.experts = new int[header.layers()][];
        this.proposals = new int[header.layers()][][];
    }

    /** The request the following steps belong to. */
    public void request(int id) {
        request = id;
    }

    public long tokensRecorded() {
        return tokens;
    }

    @Override
    public void onRouting(int layer, StepBatch batch, int[] chosen, int k, FloatMatrix residual) {
        int t = batch.tokens();
        experts[layer] = Arrays.copyOf(chosen, t * k);
        int depths = header.depthsAt(layer);
        proposals[layer] = new int[depths][];
        for (int j = 1; j <= depths; j++) {
            int[] out = new int[t * header.gateWidth()];
            gate.propose(residual, t, layer + j, header.gateWidth(), out);
            proposals[layer][j - 1] = out;
        }
        if (layer == header.layers() - 1) {
            writeStep(batch);
        }
    }

    private void writeStep(StepBatch batch) {
        int t = batch.tokens();
        boolean prefill = false;
        for (int i = 0; i < t; i++) {
            prefill |= !batch.isGenerated(i);
        }
        int[] requests = new int[t];
        Arrays.fill(requests, request);
        try {
            writer.write(new TraceStep(prefill, requests, experts.clone(), proposals.clone()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        tokens += t;
    }
}
