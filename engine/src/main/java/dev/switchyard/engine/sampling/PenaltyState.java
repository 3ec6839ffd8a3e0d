package dev.switchyard.engine.sampling;

/**
 * What the penalties need to know about one sequence's history: which tokens it has seen (prompt or
 * generated, for the repetition penalty) and how often it has generated each (for the presence and
 * frequency penalties). Applying them costs O(distinct tokens seen), not O(vocabulary).
 *
 * <p>8 bytes per vocabulary entry, allocated once; a sampler without penalties has none.
 */
final class PenaltyState {

    private final double repetition;
    private final double presence;
    private final double frequency;
    /** 0: never seen; otherwise 1 + how many times the token was generated. */
    private final int[] state;
    /** The distinct seen tokens, in order of first sighting. */
    private final int[] seen;
    private int seenCount;

    PenaltyState(SamplingParams params, int vocabSize) {
        this.repetition = params.repetitionPenalty();
        this.presence = params.presencePenalty();
        this.frequency = params.frequencyPenalty();
        this.state = new int[vocabSize];
        this.seen = new int[vocabSize];
    }

    void addPromptToken(int token) {
        if (state[token] == 0) {
            state[token] = 1;
            seen[seenCount++] = token;
        }
    }

    void addGeneratedToken(int token) {
        if (state[token] == 0) {
            state[token] = 1;
            seen[seenCount++] = token;
        }
        state[token]++;
    }

    int generatedCount(int token) {
        return Math.max(0, state[token] - 1);
    }

    /**
     * For every seen token: repetition penalty (logit &gt; 0 ? logit / r : logit * r), then
     * logit -= count * frequency + (count &gt; 0 ? presence : 0) over the generated count.
     */
    void apply(float[] logits) {
        for (int i = 0; i < seenCount; i++) {
            int token = seen[i];
            double logit = logits[token];
            if (repetition != 1) {
                logit = logit > 0 ? logit / repetition : logit * repetition;
            }
            int count = state[token] - 1;
            if (count > 0) {
                logit -= count * frequency + presence;
            }
            // A tiny repetition penalty could push a positive logit past the float range.
            logits[token] = (float) Math.min(logit, Float.MAX_VALUE);
        }
    }
}
