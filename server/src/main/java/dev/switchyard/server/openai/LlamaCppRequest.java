package dev.switchyard.server.openai;

/**
 * A validated llama.cpp {@code /completion} request.
 *
 * @param request      what to generate, and whether to stream
 * @param nProbs       alternatives per token in {@code completion_probabilities}; 0 for none
 * @param returnTokens whether the reply carries its token ids ({@code tokens})
 * @param promptText   the prompt as text, as the reply repeats it
 * @param nPredict     {@code n_predict} as asked (-1: as many as the context leaves)
 * @param truncated    whether the prompt was cut to fit the context (an {@code /infill}'s)
 */
record LlamaCppRequest(OpenAiRequest request, int nProbs, boolean returnTokens, String promptText, int nPredict,
                       boolean truncated) {
}
