package dev.switchyard.kernels.cpu;

import dev.switchyard.kernels.RecurrentStates;
import dev.switchyard.kernels.SequenceRuns;

/**
 * What the CPU's recurrent ops (the gated delta rule, the selective scan) share: a step's work is
 * one (sequence, head) pair per chunk of the worker pool, chunk {@code run * heads + head}, each
 * walking its sequence's tokens of the step in order on its own state, so pairs never share an
 * element and any thread may take any pair. Subclasses hold their call's own inputs.
 */
abstract class CpuRecurrentOp implements WorkerPool.Job {

    private final WorkerPool pool;

    // the current call
    CpuRecurrentStates states;
    int layer;
    int[] sequenceOf;
    int[] positionOf;
    int tokens;
    /** The first token of each of the step's sequences, in order ({@link SequenceRuns}). */
    int[] firstToken = new int[16];
    private boolean[] seen = new boolean[0];

    CpuRecurrentOp(WorkerPool pool) {
        this.pool = pool;
    }

    int threads() {
        return pool.threads();
    }

    static CpuRecurrentStates cpuStates(RecurrentStates s) {
        if (!(s instanceof CpuRecurrentStates c)) {
            throw new IllegalArgumentException("not CPU recurrent states: " + s);
        }
        return c;
    }

    /** Runs every pair of the step's sequences and {@code states}' heads, then {@link #release}s the call's inputs. */
    final void runPairs(CpuRecurrentStates states, int layer, int[] sequenceOf, int[] positionOf, int tokens) {
        this.states = states;
        this.layer = layer;
        this.sequenceOf = sequenceOf;
        this.positionOf = positionOf;
        this.tokens = tokens;
        if (firstToken.length < tokens) {
            firstToken = new int[Math.max(tokens, 2 * firstToken.length)];
        }
        if (seen.length < states.sequences()) {
            seen = new boolean[states.sequences()];
        }
        int pairs = SequenceRuns.find(sequenceOf, tokens, firstToken, seen) * states.heads();
        try {
            if (pool.threads() == 1 || pairs == 1) {
                for (int i = 0; i < pairs; i++) {
                    run(0, i);
                }
            } else {
                pool.run(this, pairs);
            }
        } finally {
            this.states = null;
            this.sequenceOf = null;
            this.positionOf = null;
            release();
        }
    }

    /** Drops the references to the call's own inputs. */
    abstract void release();
}
