package dev.switchyard.engine.generate;

import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.engine.sampling.TokenConstraint;
import java.util.function.Supplier;

/**
 * One sequence to generate: its prompt ids, how to sample, at most how many tokens to produce, and
 * its prefix-cache salt: only sequences with the same salt (or none) share cached prompt blocks, so
 * a tenant with a salt of its own cannot time another's prompts; and the format its output must
 * follow, when it must (a fresh {@link TokenConstraint} for the sequence; null for free text).
 */
public record GenerationRequest(int[] prompt, SamplingParams sampling, int maxTokens, String cacheSalt,
                                Supplier<TokenConstraint> constraint) {

    public GenerationRequest(int[] prompt, SamplingParams sampling, int maxTokens) {
        this(prompt, sampling, maxTokens, null, null);
    }

    public GenerationRequest(int[] prompt, SamplingParams sampling, int maxTokens, String cacheSalt) {
        this(prompt, sampling, maxTokens, cacheSalt, null);
    }

    public GenerationRequest {
        if (prompt == null || prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: it needs at least one token");
        }
        if (maxTokens < 0) {
            throw new IllegalArgumentException("max_tokens must be 0 or more, got " + maxTokens);
        }
        prompt = prompt.clone();
    }
}
