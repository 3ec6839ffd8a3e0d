package dev.switchyard.engine.sampling;

/**
 * One sequence's DRY penalty ({@link SamplerExtras.Dry}): it keeps the sequence's tokens, prompt and
 * output, and before each draw lowers the logit of every token that would extend a repetition. For
 * each earlier occurrence of the text's last token run, the run is matched backwards (up to
 * {@value #LONGEST} tokens, and never across a breaker); the token that followed that occurrence is
 * penalized by the longest such match. Costs O(searched tokens x match length) a step; allocates
 * only when the history grows.
 */
final class DryPenalty {

    /** Matches longer than this count as this long: the penalty is astronomical long before. */
    static final int LONGEST = 64;

    private final SamplerExtras.Dry dry;
    private final boolean[] breaker;
    private int[] history = new int[256];
    private int length;
    /** Per token: the longest match found for it this step (reset after use). */
    private final int[] longest;
    /** The tokens {@link #longest} holds a value for. */
    private final int[] touched;

    DryPenalty(SamplerExtras.Dry dry, int vocabSize) {
        this.dry = dry;
        this.breaker = new boolean[vocabSize];
        for (int id : dry.breakers()) {
            if (id >= 0 && id < vocabSize) {
                breaker[id] = true;
            }
        }
        this.longest = new int[vocabSize];
        this.touched = new int[vocabSize];
    }

    void add(int token) {
        if (length == history.length) {
            history = java.util.Arrays.copyOf(history, length * 2);
        }
        history[length++] = token;
    }

    /** Lowers, in {@code logits}, the tokens that would extend a repetition. */
    void apply(float[] logits) {
        if (length < 2 || breaker[history[length - 1]]) {
            return; // nothing to extend: the text just broke off
        }
        int start = dry.lastN() > 0 ? Math.max(0, length - dry.lastN()) : 0;
        int last = history[length - 1];
        int count = 0;
        // position i is an earlier occurrence of the last token; the token at i + 1 followed it
        for (int i = length - 2; i >= start; i--) {
            if (history[i] != last) {
                continue;
            }
            int match = 1;
            while (match < LONGEST && i - match >= start && !breaker[history[length - 1 - match]]
                    && history[i - match] == history[length - 1 - match]) {
                match++;
            }
            int next = history[i + 1];
            if (longest[next] == 0) {
                touched[count++] = next;
            }
            longest[next] = Math.max(longest[next], match);
        }
        for (int k = 0; k < count; k++) {
            int token = touched[k];
            int match = longest[token];
            longest[token] = 0;
            if (match >= dry.allowedLength()) {
                double penalty = dry.multiplier() * Math.pow(dry.base(), match - dry.allowedLength());
                logits[token] = (float) (logits[token] - penalty);
            }
        }
    }
}
