package dev.switchyard.cache.trace;

/**
 * One model step of a trace: which request each token belongs to, the experts each token used in
 * every layer, and, where recorded, the speculative gate's proposals for later layers.
 *
 * <p>Arrays are flat and owned by the step (callers must not change them): {@code experts[l]} holds
 * {@code tokens x topK} ids, token-major, -1 where capacity-aware dispatch dropped an assignment;
 * {@code proposals[l][j - 1]} holds {@code tokens x gateWidth} ids proposed at layer {@code l} for
 * layer {@code l + j}, for {@code j = 1 .. header.depthsAt(l)}.
 */
public final class TraceStep {

    private final boolean prefill;
    private final int[] requests;
    private final int[][] experts;
    private final int[][][] proposals;

    public TraceStep(boolean prefill, int[] requests, int[][] experts, int[][][] proposals) {
        this.prefill = prefill;
        this.requests = requests;
        this.experts = experts;
        this.proposals = proposals;
    }

    /** A prompt step (prefill chunk) rather than a decode step. */
    public boolean prefill() {
        return prefill;
    }

    public int tokens() {
        return requests.length;
    }

    public int request(int token) {
        return requests[token];
    }

    /** Layer {@code layer}'s assignments, {@code tokens x topK}, token-major; -1 = dropped. */
    public int[] experts(int layer) {
        return experts[layer];
    }

    /** Proposals made at {@code layer} for {@code layer + depth}, {@code tokens x gateWidth}. */
    public int[] proposals(int layer, int depth) {
        return proposals[layer][depth - 1];
    }

    int[][][] proposalArrays() {
        return proposals;
    }

    int[] requestArray() {
        return requests;
    }
}
