package dev.switchyard.engine.forward;

import java.util.Arrays;

/**
 * Which positions each sequence's recurrent state stands for (Qwen3.5's delta net), so that a step
 * that would run a sequence on a state that is not its own past fails before it computes anything:
 * a sequence starts afresh at position 0 or goes on exactly where its state stands. A state that a
 * failed step may have changed in part stands for nothing until its sequence starts again from 0.
 * Nothing is allocated per step.
 */
final class RecurrentProgress {

    /** Per sequence: the next position its state expects; -1 where only a fresh start will do. */
    private final int[] next;
    /** Per sequence: the step that saw it last, so that each is checked at its first token only. */
    private final int[] seenAt;
    private int step;

    RecurrentProgress(int sequences) {
        this.next = new int[sequences];
        this.seenAt = new int[sequences];
        Arrays.fill(next, -1);
    }

    /** Checks the step's first token of each sequence, then marks their states as in flight. */
    void begin(StepBatch batch) {
        step++;
        int t = batch.tokens;
        for (int i = 0; i < t; i++) {
            int seq = batch.sequenceOf[i];
            int pos = batch.positionOf[i];
            if (seenAt[seq] != step) {
                seenAt[seq] = step;
                if (pos != 0 && pos != next[seq]) {
                    throw new IllegalStateException("sequence " + seq + " resumes at position " + pos + ", but its "
                            + "recurrent state " + (next[seq] < 0 ? "stands for no past: it must start from position 0"
                            : "stands for positions 0.." + (next[seq] - 1)));
                }
            }
        }
        for (int i = 0; i < t; i++) {
            next[batch.sequenceOf[i]] = -1;
        }
    }

    /** The sequence's state was given one that stands for its first {@code positions}. */
    void resume(int sequence, int positions) {
        next[sequence] = positions;
    }

    /** No state stands for anything any more: every sequence starts again from position 0. */
    void forgetAll() {
        Arrays.fill(next, -1);
    }

    /** The step completed: each of its sequences' states now stands for its positions up to its last token's. */
    void complete(StepBatch batch) {
        for (int i = 0; i < batch.tokens; i++) {
            next[batch.sequenceOf[i]] = batch.positionOf[i] + 1;
        }
    }
}
