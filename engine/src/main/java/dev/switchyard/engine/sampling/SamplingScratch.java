package dev.switchyard.engine.sampling;

/**
 * The per-token working memory of sampling, sized for one vocabulary: 20 bytes per token (adjusted
 * logits as float, candidate sort keys as long, weights as float, candidate ids as int) plus 8 KB of
 * bucket masses, about 3 MB for a 152k vocabulary.
 *
 * <p>A {@link Sampler} builds its own unless given one. Samplers that are only ever called from one
 * thread (a scheduler that samples its batch sequence by sequence) may share one scratch to save that
 * memory per sequence: nothing in it survives from one {@code sample} call to the next. It is not
 * thread-safe; two threads must never use samplers sharing a scratch at the same time.
 */
public final class SamplingScratch {

    final int vocabSize;
    /** Logits after bias and penalties, indexed by token id. */
    final float[] work;
    /** Candidates as {@link CandidateFilters#key} values. */
    final long[] keys;
    /** Unnormalized probabilities, indexed by token id or by candidate position (see uses). */
    final float[] weights;
    /** Token ids the nucleus search looks at first (those near the best). */
    final int[] near;
    /** Probability mass per bucket: of logits for the nucleus search, of distances for typical sampling. */
    final double[] bucketMass = new double[CandidateFilters.BUCKETS];

    public SamplingScratch(int vocabSize) {
        if (vocabSize < 1) {
            throw new IllegalArgumentException("vocabulary size must be at least 1, got " + vocabSize);
        }
        this.vocabSize = vocabSize;
        this.work = new float[vocabSize];
        this.keys = new long[vocabSize];
        this.weights = new float[vocabSize];
        this.near = new int[vocabSize];
    }

    public int vocabSize() {
        return vocabSize;
    }
}
