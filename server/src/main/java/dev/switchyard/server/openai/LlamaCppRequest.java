package dev.switchyard.server.openai;

import java.util.List;

/**
 * A validated llama.cpp {@code /completion} request.
 *
 * @param request      what to generate, and whether to stream
 * @param nProbs       alternatives per token in {@code completion_probabilities}; 0 for none
 * @param returnTokens whether the reply carries its token ids ({@code tokens})
 * @param promptTexts  each prompt as text, as its reply repeats it
 * @param nPredict     {@code n_predict} as asked (-1: as many as the context leaves)
 * @param truncated    whether the prompt was cut to fit the context (an {@code /infill}'s)
 */
record LlamaCppRequest(OpenAiRequest request, int nProbs, boolean returnTokens, List<String> promptTexts, int nPredict,
                       boolean truncated) {
}
