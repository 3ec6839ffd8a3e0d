package dev.switchyard.engine.sampling;

import java.util.Arrays;
import java.util.List;

/**
 * One sequence's {@link TokenRestrictions} applied to its logits, step by step: it follows the
 * generated tokens ({@link #accept}) and masks, before each draw, what may not come next. Built once
 * per sequence; applying it allocates nothing.
 */
final class TokenBans {

    private final int minTokens;
    /** Null when every token is allowed. */
    private final boolean[] allowed;
    /** Tokens never written: one-token banned sequences, sorted. */
    private final int[] always;
    /** Banned sequences of two or more tokens. */
    private final int[][] sequences;
    /** Tokens that end the sequence (stop ids, and end-of-generation ones unless ignored), banned before minTokens. */
    private final int[] stops;
    /** The last generated tokens, as many as the longest banned sequence needs, oldest first in ring order. */
    private final int[] recent;
    private int generated;

    /**
     * @param stops the tokens that would end the sequence, banned while fewer than {@code minTokens}
     *              were generated
     * @throws IllegalArgumentException if a token id is outside the vocabulary
     */
    TokenBans(TokenRestrictions r, int vocabSize, int[] stops) {
        this.minTokens = r.minTokens();
        this.stops = stops.clone();
        if (r.allowedTokenIds().isEmpty()) {
            allowed = null;
        } else {
            allowed = new boolean[vocabSize];
            for (int id : r.allowedTokenIds()) {
                check("allowed_token_ids", id, vocabSize);
                allowed[id] = true;
            }
        }
        List<List<Integer>> banned = r.bannedSequences();
        this.always = banned.stream().filter(s -> s.size() == 1).mapToInt(s -> check("bad_words", s.getFirst(), vocabSize))
                .sorted().distinct().toArray();
        this.sequences = banned.stream().filter(s -> s.size() > 1)
                .map(s -> s.stream().mapToInt(id -> check("bad_words", id, vocabSize)).toArray()).toArray(int[][]::new);
        int longest = 0;
        for (int[] s : sequences) {
            longest = Math.max(longest, s.length - 1);
        }
        this.recent = new int[longest];
    }

    private static int check(String field, int id, int vocabSize) {
        if (id >= vocabSize) {
            throw new IllegalArgumentException(field + " token id " + id + " is outside the vocabulary of "
                    + vocabSize + " tokens");
        }
        return id;
    }

    /** Records a generated token. */
    void accept(int token) {
        if (recent.length > 0) {
            recent[generated % recent.length] = token;
        }
        generated++;
    }

    /** The {@code back}-th most recent generated token (1: the last), which must exist. */
    private int recent(int back) {
        return recent[(generated - back) % recent.length];
    }

    /** Sets the logit of every token that may not come next to -infinity. */
    void apply(float[] logits) {
        if (allowed != null) {
            for (int i = 0; i < allowed.length; i++) {
                if (!allowed[i]) {
                    logits[i] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        for (int id : always) {
            logits[id] = Float.NEGATIVE_INFINITY;
        }
        for (int[] s : sequences) {
            int before = s.length - 1;
            if (generated >= before && endsWith(s, before)) {
                logits[s[before]] = Float.NEGATIVE_INFINITY;
            }
        }
        if (generated < minTokens) {
            for (int id : stops) {
                logits[id] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** Whether the output ends with the first {@code length} tokens of {@code s}. */
    private boolean endsWith(int[] s, int length) {
        for (int i = 0; i < length; i++) {
            if (recent(length - i) != s[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "TokenBans[min=" + minTokens + ", always=" + Arrays.toString(always) + ", sequences=" + sequences.length + "]";
    }
}
