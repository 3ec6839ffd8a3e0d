package dev.switchyard.engine.generate;

/**
 * What one sequence produced: its generated ids (the stop token included when one ended it), their
 * natural-log probabilities under the model's raw distribution, and why it finished.
 */
public record GenerationResult(int[] tokens, double[] logprobs, FinishReason finishReason, int promptTokens) {
}
