package dev.switchyard.engine.sampling;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Tokens a sequence may not write, whatever the model prefers (vLLM's sampling extras): before
 * {@code minTokens} tokens, none that would end it (its stop token ids, and the model's
 * end-of-generation tokens unless EOS is ignored); outside {@code allowedTokenIds} (when not empty),
 * none at all; and the last token of any {@code bannedSequences} entry whose other tokens the output
 * has just written (a one-token entry: that token, always). Bans set a token's logit to -infinity
 * before any filter, so the rest keep their relative weights; log-probabilities still describe the
 * model's raw distribution.
 *
 * @param minTokens       tokens to generate before the sequence may stop on a token, 0 or more
 * @param allowedTokenIds the only tokens that may be written; empty for all; an unmodifiable copy
 * @param bannedSequences token sequences the output may not write, each non-empty; an unmodifiable copy
 */
public record TokenRestrictions(int minTokens, Set<Integer> allowedTokenIds, List<List<Integer>> bannedSequences) {

    public static final TokenRestrictions NONE = new TokenRestrictions(0, Set.of(), List.of());

    public TokenRestrictions {
        if (minTokens < 0) {
            throw new IllegalArgumentException("min_tokens must be >= 0, got " + minTokens);
        }
        allowedTokenIds = allowedTokenIds == null ? Set.of() : Set.copyOf(allowedTokenIds);
        for (int id : allowedTokenIds) {
            if (id < 0) {
                throw new IllegalArgumentException("allowed_token_ids must be >= 0, got " + id);
            }
        }
        List<List<Integer>> sequences = new ArrayList<>();
        for (List<Integer> s : bannedSequences == null ? List.<List<Integer>>of() : bannedSequences) {
            if (s == null || s.isEmpty()) {
                throw new IllegalArgumentException("bad_words has an entry of no tokens");
            }
            for (Integer id : s) {
                if (id == null || id < 0) {
                    throw new IllegalArgumentException("bad_words has a token id out of range: " + id);
                }
            }
            sequences.add(List.copyOf(s));
        }
        bannedSequences = List.copyOf(sequences);
    }

    /** Whether nothing is restricted. */
    public boolean none() {
        return minTokens == 0 && allowedTokenIds.isEmpty() && bannedSequences.isEmpty();
    }
}
