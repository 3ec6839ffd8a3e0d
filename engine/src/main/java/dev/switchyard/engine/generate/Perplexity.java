package dev.switchyard.engine.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A text's perplexity as llama.cpp's perplexity tool measures it, so figures compare across the two:
 * the tokenized text is cut into chunks of {@code context} tokens (the first of each made BOS where
 * the model starts with one), and in each chunk only the tokens of its second half are counted, so
 * every counted token is predicted from at least half a context. Perplexity is
 * {@code exp(mean negative log-likelihood)}; its uncertainty is the standard error of that mean,
 * carried through the exponential ({@code ppl * sqrt(var / (n - 1))}).
 *
 * <p>Not thread-safe: one tally per run.
 */
public final class Perplexity {

    private double sum;
    private double sumSquares;
    private long count;

    /**
     * The chunks to score: consecutive, non-overlapping runs of {@code context} tokens, at most
     * {@code maxChunks} (0 or less: all that fit), each starting with {@code bos} when it is 0 or more.
     *
     * @throws IllegalArgumentException if the text holds fewer than {@code context} tokens
     */
    public static List<int[]> chunks(int[] tokens, int context, int maxChunks, int bos) {
        if (context < 4) {
            throw new IllegalArgumentException("a context of " + context + " tokens is too short to score (at least 4)");
        }
        int whole = tokens.length / context;
        if (whole == 0) {
            throw new IllegalArgumentException("the text has " + tokens.length + " tokens, fewer than one chunk of "
                    + context + ": give a longer text or a smaller context");
        }
        int n = maxChunks > 0 ? Math.min(maxChunks, whole) : whole;
        List<int[]> chunks = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int[] chunk = Arrays.copyOfRange(tokens, i * context, (i + 1) * context);
            if (bos >= 0) {
                chunk[0] = bos;
            }
            chunks.add(chunk);
        }
        return chunks;
    }

    /** Whether the token at {@code position} of a chunk of {@code context} tokens counts (its second half). */
    public static boolean counts(int position, int context) {
        return position > context / 2 && position < context;
    }

    /** Tokens one chunk of {@code context} counts. */
    public static int countedPerChunk(int context) {
        return context - 1 - context / 2;
    }

    /** Adds one counted token's natural-log probability. */
    public void add(double logprob) {
        double nll = -logprob;
        sum += nll;
        sumSquares += nll * nll;
        count++;
    }

    public long count() {
        return count;
    }

    /** exp(mean negative log-likelihood); NaN before any token. */
    public double value() {
        return count == 0 ? Double.NaN : Math.exp(sum / count);
    }

    /** The standard error of {@link #value()}; NaN with fewer than two tokens. */
    public double uncertainty() {
        if (count < 2) {
            return Double.NaN;
        }
        double mean = sum / count;
        double variance = Math.max(0, sumSquares / count - mean * mean);
        return value() * Math.sqrt(variance / (count - 1));
    }
}
