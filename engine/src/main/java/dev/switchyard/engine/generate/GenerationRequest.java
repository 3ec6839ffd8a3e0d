package dev.switchyard.engine.generate;

import dev.switchyard.engine.sampling.SamplingParams;

/** One sequence to generate: its prompt ids, how to sample, and at most how many tokens to produce. */
public record GenerationRequest(int[] prompt, SamplingParams sampling, int maxTokens) {

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
