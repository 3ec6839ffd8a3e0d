package dev.switchyard.loadtest.target;

import java.util.Objects;

/**
 * One generation request as the load test plans it; the target turns it into its wire format.
 *
 * @param maxTokens the output length, enforced with {@code max_tokens} and {@code ignore_eos}
 * @param sampling  how the server samples the output
 */
public record StreamRequest(String model, String prompt, int maxTokens, RequestSampling sampling) {

    public StreamRequest {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(sampling, "sampling");
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be at least 1, got " + maxTokens);
        }
    }
}
