package dev.switchyard.engine.generate;

/**
 * What one sequence produced: its generated ids (the stop token included when one ended it), their
 * natural-log probabilities under the model's raw distribution, and why it finished; for a request
 * with a predicted output, how many tokens proposed from it were kept and how many were not.
 */
public record GenerationResult(int[] tokens, double[] logprobs, FinishReason finishReason, int promptTokens,
                               int acceptedPredictionTokens, int rejectedPredictionTokens) {

    /** Without a prediction. */
    public GenerationResult(int[] tokens, double[] logprobs, FinishReason finishReason, int promptTokens) {
        this(tokens, logprobs, finishReason, promptTokens, 0, 0);
    }
}
