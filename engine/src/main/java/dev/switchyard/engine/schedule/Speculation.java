package dev.switchyard.engine.schedule;

/**
 * Speculative decoding by prompt lookup ({@code --speculative-tokens}, {@code --lookup-ngram}): a
 * decoding sequence whose last {@code n} tokens ({@code maxMatch} down to {@code minMatch}) appeared
 * earlier in its prompt or output proposes the up to {@code draftTokens} tokens that followed them
 * there, and the step computes them beside its next token. Each proposed token is kept while the
 * sampler, drawing as it would have without speculation, chooses it; so the output is exactly what
 * decoding one token at a time gives, and a step that guessed right emits several tokens for one
 * pass over the weights.
 */
public record Speculation(int draftTokens, int minMatch, int maxMatch) {

    /** The most tokens one step may propose for a sequence. */
    public static final int MAX_DRAFT_TOKENS = 16;
    /** The longest run of tokens looked up. */
    public static final int MAX_MATCH = 8;
    /** No speculation: one token per sequence per step. */
    public static final Speculation NONE = new Speculation(0, 1, 1);

    public Speculation {
        if (draftTokens < 0 || draftTokens > MAX_DRAFT_TOKENS) {
            throw new IllegalArgumentException("speculative tokens must be 0 to " + MAX_DRAFT_TOKENS + ", got "
                    + draftTokens);
        }
        if (minMatch < 1 || maxMatch < minMatch || maxMatch > MAX_MATCH) {
            throw new IllegalArgumentException("the looked-up run must be 1 to " + MAX_MATCH + " tokens, its least no "
                    + "more than its most; got " + minMatch + ".." + maxMatch);
        }
    }

    /** Proposes up to {@code draftTokens} tokens, looking up runs of {@code minMatch} to {@code maxMatch}. */
    public static Speculation lookup(int draftTokens, int minMatch, int maxMatch) {
        return new Speculation(draftTokens, minMatch, maxMatch);
    }

    public boolean enabled() {
        return draftTokens > 0;
    }

    /**
     * How many tokens a sequence may propose next, after a proposal of which the sampler kept
     * {@code kept}: one more than it kept, up to {@link #draftTokens}. Where the text stops
     * repeating, each step then carries one proposed row in vain, not {@code draftTokens}; where it
     * repeats, the proposals grow back a token a step.
     */
    public int nextLimit(int kept) {
        return Math.min(draftTokens, kept + 1);
    }
}
