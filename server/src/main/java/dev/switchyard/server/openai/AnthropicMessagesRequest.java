package dev.switchyard.server.openai;

/**
 * A validated {@code /v1/messages} request.
 *
 * @param request what to generate, and whether to stream
 * @param prefill the final assistant message the reply continues (not repeated in the reply), or null
 */
record AnthropicMessagesRequest(OpenAiRequest request, String prefill) {
}
