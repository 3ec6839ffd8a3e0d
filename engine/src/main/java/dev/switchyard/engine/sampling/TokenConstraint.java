package dev.switchyard.engine.sampling;

/**
 * Which tokens one sequence may generate next, beyond what sampling chooses: a grammar the output
 * must follow. The sampler asks about the token it would choose and, only when that one is refused,
 * about every token; it reports each token it emits. One instance follows one sequence; not
 * thread-safe.
 */
public interface TokenConstraint {

    /** Whether {@code token} may come next. */
    boolean allows(int token);

    /**
     * Sets to -infinity the logit of every token it refuses ({@code logits} is vocabulary-sized;
     * tokens already at -infinity need not be asked about). Implementations may do better than
     * asking token by token.
     */
    default void mask(float[] logits) {
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] != Float.NEGATIVE_INFINITY && !allows(i)) {
                logits[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** The sequence emitted {@code token}, which {@link #allows} allowed. */
    void accept(int token);

    /** Whether the output is whole: the sequence ends with the token that completed it. */
    boolean finished();
}
