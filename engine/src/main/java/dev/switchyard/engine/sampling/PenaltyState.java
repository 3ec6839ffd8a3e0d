package dev.switchyard.engine.sampling;

/**
 * What the penalties need to know about one sequence's history: which tokens it has seen (prompt or
 * generated, for the repetition penalty) and how often it has generated each (for the presence and
 * frequency penalties), over the whole text or, with a window ({@code repeat_last_n}), over its last
 * tokens alone. Applying them costs O(distinct tokens seen), not O(vocabulary).
 *
 * <p>16 bytes per vocabulary entry, allocated once, and with a window at most 8 bytes per token of
 * the window; a sampler without penalties has none.
 */
final class PenaltyState {

    private final double repetition;
    private final double presence;
    private final double frequency;
    /** How many tokens are looked back over, or {@link SamplerExtras#WHOLE_TEXT}. */
    private final int window;
    /** Per token: its occurrences in the window, prompt and generated. */
    private final int[] occurrences;
    /** Per token: its generated occurrences in the window. */
    private final int[] generated;
    /** The distinct tokens in the window, in no particular order. */
    private final int[] seen;
    /** Per token: its index in {@link #seen}, valid while it occurs. */
    private final int[] seenIndex;
    private int seenCount;
    /** With a window: the last tokens (at least the window's), a generated one with its sign bit set. */
    private int[] history;
    private int length;

    PenaltyState(SamplingParams params, int vocabSize) {
        this.repetition = params.repetitionPenalty();
        this.presence = params.presencePenalty();
        this.frequency = params.frequencyPenalty();
        this.window = params.extras().penaltyLastN();
        this.occurrences = new int[vocabSize];
        this.generated = new int[vocabSize];
        this.seen = new int[vocabSize];
        this.seenIndex = new int[vocabSize];
        this.history = window == SamplerExtras.WHOLE_TEXT ? null : new int[Math.min(window, 256)];
    }

    void addPromptToken(int token) {
        add(token, false);
    }

    void addGeneratedToken(int token) {
        add(token, true);
    }

    int generatedCount(int token) {
        return generated[token];
    }

    private void add(int token, boolean output) {
        if (occurrences[token]++ == 0) {
            seenIndex[token] = seenCount;
            seen[seenCount++] = token;
        }
        if (output) {
            generated[token]++;
        }
        if (history != null) {
            if (length == history.length) {
                if (length > window) {
                    // what came before the window is forgotten already: keep the window alone
                    System.arraycopy(history, length - window, history, 0, window);
                    length = window;
                } else {
                    history = java.util.Arrays.copyOf(history, length * 2);
                }
            }
            history[length++] = output ? token | Integer.MIN_VALUE : token;
            if (length > window) {
                forget(history[length - window - 1]);
            }
        }
    }

    /** A token that left the window. */
    private void forget(int entry) {
        int token = entry & Integer.MAX_VALUE;
        if (entry < 0) {
            generated[token]--;
        }
        if (--occurrences[token] == 0) {
            int last = seen[--seenCount];
            seen[seenIndex[token]] = last;
            seenIndex[last] = seenIndex[token];
        }
    }

    /**
     * For every token in the window: repetition penalty (logit &gt; 0 ? logit / r : logit * r), then
     * logit -= count * frequency + (count &gt; 0 ? presence : 0) over its generated count.
     */
    void apply(float[] logits) {
        for (int i = 0; i < seenCount; i++) {
            int token = seen[i];
            double logit = logits[token];
            if (repetition != 1) {
                logit = logit > 0 ? logit / repetition : logit * repetition;
            }
            int count = generated[token];
            if (count > 0) {
                logit -= count * frequency + presence;
            }
            // A tiny repetition penalty could push a positive logit past the float range.
            logits[token] = (float) Math.min(logit, Float.MAX_VALUE);
        }
    }
}
